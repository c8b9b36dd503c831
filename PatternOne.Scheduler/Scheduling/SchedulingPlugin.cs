namespace PatternOne.Scheduler.Scheduling;

/// <summary>
/// What every plugin has: its type, taken from the concrete class's <see cref="IPluginFactory.PluginType"/> (so the
/// type in the registry and on the instance cannot differ), and its instance name.
/// </summary>
/// <typeparam name="TSelf">The concrete plugin class.</typeparam>
public abstract class SchedulingPlugin<TSelf>(string name) : ISchedulingPlugin
    where TSelf : IPluginFactory
{
    public string Type => TSelf.PluginType;

    public string Name { get; } = name;
}
