using PatternOne.VllmSimulator;
using PatternOne.VllmSimulator.Options;

var parsed = SimulatorCommandLine.Parse(args);
if (parsed.ShowHelp)
{
    Console.WriteLine(SimulatorCommandLine.Usage);
    return 0;
}

if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error}");
    }

    Console.Error.WriteLine("Run with --help for the list of flags.");
    return 2;
}

var app = SimulatorHost.CreateBuilder(parsed.Options).Build();
app.MapVllmSimulator();
await app.RunAsync();
return 0;
