using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PatternOne.AppHost.Gateway;
using PatternOne.AppHost.Inference;
using PatternOne.AppHost.Scheduling;

namespace PatternOne.AppHost.Operations;

/// <summary>
/// What an operator watches and does from the dashboard, in run mode: live figures on the pool, its replicas and the
/// scheduler, and one-click commands on the gateway (test request, load), the replicas (reset prefix cache, inject
/// fault) and the scheduler (switch profile).
/// </summary>
public static class OperatorBuilderExtensions
{
    /// <summary>Command names (<c>ResourceCommandService.ExecuteCommandAsync(resource, name)</c>).</summary>
    public const string SendTestChatCommand = "send-test-chat", RunLoadCommand = "run-load",
        ResetPrefixCacheCommand = "reset-prefix-cache", InjectFaultCommand = "inject-fault", SwitchProfileCommand = "switch-profile";

    /// <summary>Argument names of <see cref="RunLoadCommand"/> and <see cref="InjectFaultCommand"/>.</summary>
    public const string RateArgument = "rate", DurationArgument = "duration", FaultKindArgument = "kind", FailureRateArgument = "failureRate",
        ProfileArgument = "profile";

    private const string HttpClientName = "patternone-operator";

    /// <summary>Adds the live state and the commands to every gateway, pool replica and scheduler declared so far.</summary>
    public static IDistributedApplicationBuilder AddOperatorTools(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<MetricsReader>();
        builder.Services.AddHostedService<LiveStateMonitor>();
        // Retries off: a command reports what happened to its one request.
        builder.Services.AddHttpClient(HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(60));

        foreach (var pool in builder.Resources.OfType<VllmPoolResource>())
        {
            foreach (var replica in pool.ReplicaBuilders)
            {
                replica.WithReplicaCommands();
            }
        }

        foreach (var gateway in builder.Resources.OfType<ProjectResource>().Where(r => r.HasAnnotationOfType<InferenceRouteAnnotation>()).ToList())
        {
            builder.CreateResourceBuilder(gateway).WithGatewayCommands();
        }

        foreach (var scheduler in builder.Resources.OfType<ProjectResource>().Where(r => r.HasAnnotationOfType<EndpointPickerAnnotation>()).ToList())
        {
            builder.CreateResourceBuilder(scheduler).WithSchedulerCommands();
        }

        return builder;
    }

    private static void WithSchedulerCommands(this IResourceBuilder<ProjectResource> scheduler)
    {
        var admin = scheduler.GetEndpoint(SchedulerBuilderExtensions.AdminEndpointName);
        scheduler.WithCommand(SwitchProfileCommand, "Switch profile", async context =>
        {
            var profile = context.Arguments.GetString(ProfileArgument);
            var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            using var response = await http.PostAsJsonAsync(new Uri(new Uri(admin.Url), "/admin/profile"), new { profile }, context.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(context.CancellationToken);
            return response.IsSuccessStatusCode
                ? CommandResults.Success($"The scheduler now runs profile '{profile}' (no restart; the new profile starts with an empty prefix index).")
                : CommandResults.Failure(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}: {body}"));
        }, new CommandOptions
        {
            Description = "Runs another built-in scheduling profile from the next request on, without a restart.",
            ConfirmationMessage = "Change how every following request is scheduled?",
            IconName = "ArrowSwap",
            UpdateState = RunningOnly,
            Arguments =
            [
                new InteractionInput
                {
                    Name = ProfileArgument, Label = "Profile", InputType = InputType.Choice, Required = true, Value = SchedulerBuilderExtensions.BuiltInProfiles[0],
                    Options = [.. SchedulerBuilderExtensions.BuiltInProfiles.Select(p => KeyValuePair.Create(p, p))],
                },
            ],
        });
    }

    private static void WithGatewayCommands(this IResourceBuilder<ProjectResource> gateway)
    {
        var route = gateway.Resource.Annotations.OfType<InferenceRouteAnnotation>().First();
        var endpoint = gateway.GetEndpoint(GatewayBuilderExtensions.HttpEndpointName);
        Uri ChatCompletions() => new(new Uri(endpoint.Url), route.PathPrefix.TrimEnd('/') + "/v1/chat/completions");

        gateway.WithCommand(SendTestChatCommand, "Send a test chat request", async context =>
        {
            var metrics = context.Services.GetRequiredService<MetricsReader>();
            var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            var served = await ServedRequests.StartAsync(metrics, route.Pool, context.CancellationToken);
            using var response = await http.PostAsJsonAsync(ChatCompletions(), new
            {
                model = route.Pool.ServedModelName,
                messages = new[] { new { role = "user", content = "Say hello to the operator in one short sentence." } },
                max_tokens = 32,
            }, context.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(context.CancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return CommandResults.Failure(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}: {body}"));
            }

            using var json = JsonDocument.Parse(body);
            var reply = json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            var replicas = await served.SinceStartAsync(metrics, route.Pool, context.CancellationToken);
            var servedBy = replicas.Count == 1 ? replicas.Keys.Single() : $"one of {string.Join(", ", replicas.Keys)} (other traffic at the same time)";
            return CommandResults.Success($"Served by {servedBy}: {reply}", body, CommandResultFormat.Json);
        }, new CommandOptions
        {
            Description = "POST one chat completion through the gateway (HTTP listener, the pool's route) and show the reply and the replica that served it.",
            IconName = "ChatSparkle",
            IsHighlighted = true,
        });

        gateway.WithCommand(RunLoadCommand, "Run load", async context =>
        {
            var rate = context.Arguments.GetDouble(RateArgument);
            var duration = TimeSpan.FromSeconds(context.Arguments.GetDouble(DurationArgument));
            var metrics = context.Services.GetRequiredService<MetricsReader>();
            var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            var time = context.Services.GetRequiredService<TimeProvider>();
            var served = await ServedRequests.StartAsync(metrics, route.Pool, context.CancellationToken);
            var summary = await new LoadRun(http, ChatCompletions(), route.Pool.ServedModelName, time).RunAsync(rate, duration, context.CancellationToken);
            var message = summary.Describe(rate, duration, await served.SinceStartAsync(metrics, route.Pool, context.CancellationToken));
            return summary.Succeeded > 0 ? CommandResults.Success(message) : CommandResults.Failure(message);
        }, new CommandOptions
        {
            Description = "Chat requests through the gateway at a fixed rate for a fixed time; the summary (statuses, latency, replicas) is the command's message.",
            IconName = "TopSpeed",
            Arguments =
            [
                new InteractionInput { Name = RateArgument, Label = "Requests per second", InputType = InputType.Number, Required = true, Value = "5" },
                new InteractionInput { Name = DurationArgument, Label = "Duration (seconds)", InputType = InputType.Number, Required = true, Value = "10" },
            ],
            ValidateArguments = context =>
            {
                if (context.Inputs.GetDouble(RateArgument) is not (> 0 and <= 200))
                {
                    context.AddValidationError(context.Inputs[RateArgument], "From more than 0 to 200 requests per second.");
                }

                if (context.Inputs.GetDouble(DurationArgument) is not (>= 1 and <= 600))
                {
                    context.AddValidationError(context.Inputs[DurationArgument], "From 1 to 600 seconds.");
                }

                return Task.CompletedTask;
            },
        });
    }

    private static void WithReplicaCommands(this IResourceBuilder<ProjectResource> replica)
    {
        var endpoint = replica.GetEndpoint(VllmPoolBuilderExtensions.ReplicaEndpointName);

        replica.WithCommand(ResetPrefixCacheCommand, "Reset prefix cache", async context =>
        {
            var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            using var response = await http.PostAsync(new Uri(new Uri(endpoint.Url), "/reset_prefix_cache"), null, context.CancellationToken);
            return response.IsSuccessStatusCode
                ? CommandResults.Success($"{replica.Resource.Name}: prefix cache reset; the next requests recompute their prompts.")
                : CommandResults.Failure(await ErrorMessageAsync(response, context.CancellationToken));
        }, new CommandOptions
        {
            Description = "vLLM's POST /reset_prefix_cache: drops every cached KV block (refused while requests are running).",
            ConfirmationMessage = $"Drop every cached prompt block of {replica.Resource.Name}? Requests that would have hit the cache recompute their prompts.",
            IconName = "ArrowReset",
            UpdateState = RunningOnly,
        });

        replica.WithCommand(InjectFaultCommand, "Inject fault", async context =>
        {
            var kind = context.Arguments.GetString(FaultKindArgument) ?? "none";
            var failureRate = kind == "none" ? 0 : context.Arguments.GetDouble(FailureRateArgument);
            var http = context.Services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            using var response = await http.PostAsJsonAsync(new Uri(new Uri(endpoint.Url), "/sim/faults"),
                kind == "none" ? new { failure_rate = 0.0, kinds = Array.Empty<string>() } : new { failure_rate = failureRate, kinds = new[] { kind } },
                context.CancellationToken);
            return !response.IsSuccessStatusCode
                ? CommandResults.Failure(await ErrorMessageAsync(response, context.CancellationToken))
                : kind == "none"
                    ? CommandResults.Success($"{replica.Resource.Name}: faults cleared.")
                    : CommandResults.Success(string.Create(CultureInfo.InvariantCulture, $"{replica.Resource.Name}: {failureRate:0.#} % of requests now get '{kind}'."));
        }, new CommandOptions
        {
            Description = "The simulator's fault modes: error (503), disconnect (mid-answer), slow-start (delayed start), or none to clear.",
            ConfirmationMessage = $"Make {replica.Resource.Name} fail requests on purpose?",
            IconName = "Warning",
            UpdateState = RunningOnly,
            Arguments =
            [
                new InteractionInput
                {
                    Name = FaultKindArgument, Label = "Fault", InputType = InputType.Choice, Required = true, Value = "error",
                    Options = [new("error", "error — answer 503"), new("disconnect", "disconnect — drop the connection mid-answer"),
                        new("slow-start", "slow-start — hold the request before it starts"), new("none", "none — clear faults")],
                },
                new InteractionInput { Name = FailureRateArgument, Label = "Share of requests (%)", InputType = InputType.Number, Required = true, Value = "100" },
            ],
            ValidateArguments = context =>
            {
                if (context.Inputs.GetDouble(FailureRateArgument) is not (>= 0 and <= 100))
                {
                    context.AddValidationError(context.Inputs[FailureRateArgument], "From 0 to 100.");
                }

                return Task.CompletedTask;
            },
        });
    }

    private static ResourceCommandState RunningOnly(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message))
            {
                return string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}: {message.GetString()}");
            }
        }
        catch (JsonException)
        {
            // Not JSON: show it as it came.
        }

        return string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}: {body}");
    }
}
