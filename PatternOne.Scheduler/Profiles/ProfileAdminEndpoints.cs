using System.Text.Json.Serialization;

namespace PatternOne.Scheduler.Profiles;

/// <summary>
/// <c>GET /admin/profile</c> → <c>{"profile":"default","profiles":[…]}</c>; <c>POST /admin/profile</c> with
/// <c>{"profile":"least-queue"}</c> switches to that built-in profile at once (400 with the list for an unknown name).
/// Served on <see cref="SchedulerOptions.AdminPort"/> only.
/// </summary>
public static partial class ProfileAdminEndpoints
{
    public const string Path = "/admin/profile";

    public static RouteGroupBuilder MapProfileAdmin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path);
        group.MapGet("", (SwitchableScheduler scheduler) => Results.Json(State(scheduler), ProfileAdminJson.Default.ProfileState));
        group.MapPost("", (ProfileChange? change, SwitchableScheduler scheduler, ILoggerFactory loggers) =>
        {
            if (change?.Profile is not { Length: > 0 } name || !BuiltInProfiles.Names.Contains(name, StringComparer.Ordinal))
            {
                return Results.Json(new ProfileError($"Unknown profile '{change?.Profile}'. Built-in profiles: {string.Join(", ", BuiltInProfiles.Names)}."),
                    ProfileAdminJson.Default.ProfileError, statusCode: StatusCodes.Status400BadRequest);
            }

            var before = scheduler.ProfileName;
            scheduler.Switch(name);
            LogSwitched(loggers.CreateLogger(typeof(ProfileAdminEndpoints).FullName!), before, scheduler.ProfileName);
            return Results.Json(State(scheduler), ProfileAdminJson.Default.ProfileState);
        });
        return group;
    }

    private static ProfileState State(SwitchableScheduler scheduler) => new(scheduler.ProfileName, BuiltInProfiles.Names);

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "Scheduling profile switched from {Before} to {After} by the admin port.")]
    private static partial void LogSwitched(ILogger logger, string before, string after);
}

public sealed record ProfileChange([property: JsonPropertyName("profile")] string? Profile);

public sealed record ProfileState(
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("profiles")] IReadOnlyList<string> Profiles);

public sealed record ProfileError([property: JsonPropertyName("error")] string Error);

[JsonSerializable(typeof(ProfileChange))]
[JsonSerializable(typeof(ProfileState))]
[JsonSerializable(typeof(ProfileError))]
internal sealed partial class ProfileAdminJson : JsonSerializerContext;
