using PatternOne.Scheduler;

using PatternOne.Scheduler.Hosting;

// Upstream's EPP flags (--pool-name, --grpc-port, --secure-serving, …) become the typed options they stand for.
EndpointPickerCommandLine.Result commandLine;
try
{
    commandLine = EndpointPickerCommandLine.Parse(args);
}
catch (FormatException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}

var builder = WebApplication.CreateBuilder([.. commandLine.RemainingArgs]);
builder.Configuration.AddInMemoryCollection(commandLine.Settings);
builder.AddBasicServiceDefaults();
builder.AddScheduler();

var app = builder.Build();
app.MapScheduler();
await app.RunAsync();
return 0;
