using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PatternOne.Scheduler.Profiles;

/// <summary>Reads EndpointPickerConfig YAML.</summary>
public static class EndpointPickerConfigLoader
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    /// <summary>Parses YAML; syntax errors become an <see cref="InvalidOperationException"/> naming line and column.</summary>
    public static EndpointPickerConfig Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        try
        {
            return Deserializer.Deserialize<EndpointPickerConfig?>(yaml) ?? new EndpointPickerConfig();
        }
        catch (YamlException ex)
        {
            throw new InvalidOperationException(
                $"EndpointPickerConfig is not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
    }
}
