namespace PatternOne.VllmSimulator.Engine;

/// <summary>Creates simulated engines.</summary>
public static class EngineFactory
{
    /// <summary>A new engine at virtual time zero. Throws <see cref="ArgumentException"/> if the options are invalid.</summary>
    public static IEngineCore Create(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        return new EngineCore(options);
    }
}
