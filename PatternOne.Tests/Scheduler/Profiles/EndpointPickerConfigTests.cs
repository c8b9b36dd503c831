using PatternOne.Scheduler.Pickers;
using PatternOne.Scheduler.Saturation;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using PatternOne.Scheduler.Scorers;

namespace PatternOne.Tests.Scheduler.Profiles;

public class EndpointPickerConfigTests
{
    public static TheoryData<string> BuiltIns => [.. BuiltInProfiles.Names];

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void BuiltInProfile_BuildsUnderItsName(string name)
    {
        var picker = SchedulerFactory.Create(name);

        Assert.Equal(name, picker.ProfileName);
    }

    [Fact]
    public void DefaultProfile_HasUpstreamWeights()
    {
        var picker = (ProfileScheduler)SchedulerFactory.Create(BuiltInProfiles.Default);

        Assert.Equal(
            [("queue-scorer", 2.0), ("kv-cache-utilization-scorer", 2.0), ("prefix-cache-scorer", 3.0), ("prefill-load-scorer", 6.0)],
            picker.Scorers.Select(s => (s.Scorer.Type, s.Weight)));
        Assert.Equal("max-score-picker", picker.Picker.Type);
        Assert.NotNull(picker.Admission);
        Assert.Equal(5, picker.Admission.QueueDepthThreshold);
        Assert.Equal(0.8, picker.Admission.KvCacheUtilThreshold);
        Assert.Equal(TimeSpan.FromMilliseconds(200), picker.Admission.MetricsStalenessThreshold);
        Assert.Equal(StalenessPolicy.Ignore, picker.Admission.StalenessPolicy);
    }

    [Theory]
    [InlineData("ignore", StalenessPolicy.Ignore)]
    [InlineData("Saturated", StalenessPolicy.Saturated)]
    public void UtilizationDetector_ReadsTheStalenessPolicy(string text, StalenessPolicy expected)
    {
        var picker = (ProfileScheduler)SchedulerFactory.FromYaml($$"""
            plugins:
            - type: utilization-detector
              parameters:
                stalenessPolicy: {{text}}
            saturationDetector: {pluginRef: utilization-detector}
            schedulingProfiles:
            - {name: p, plugins: [{pluginRef: utilization-detector}]}
            """);

        Assert.Equal(expected, picker.Admission!.StalenessPolicy);
    }

    [Fact]
    public void UtilizationDetector_WithAnUnknownStalenessPolicy_NamesTheChoices()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SchedulerFactory.FromYaml("""
            plugins:
            - {type: utilization-detector, parameters: {stalenessPolicy: sometimes}}
            schedulingProfiles:
            - {name: p, plugins: [{pluginRef: utilization-detector}]}
            """));

        Assert.Contains("'stalenessPolicy' is 'sometimes', expected one of ignore, saturated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_WithUpstreamShape_LoadsParametersAndWeights()
    {
        const string yaml = """
            apiVersion: inference.networking.x-k8s.io/v1alpha1
            kind: EndpointPickerConfig
            featureGates: [somethingUpstream]
            plugins:
            - type: queue-scorer
            - type: prefix-cache-scorer
              parameters: {hashBlockSize: 32, maxPrefixBlocksToMatch: 128, lruCapacityPerServer: 500}
            - name: load
              type: load-aware-scorer
              parameters: {threshold: 64}
            - type: weighted-random-picker
              parameters: {maxNumOfEndpoints: 2}
            - type: single-profile-handler
            - type: utilization-detector
              parameters: {queueDepthThreshold: 9, metricsStalenessThreshold: 2s}
            saturationDetector: {pluginRef: utilization-detector}
            schedulingProfiles:
            - name: default
              plugins:
              - {pluginRef: queue-scorer, weight: 1.5}
              - {pluginRef: prefix-cache-scorer, weight: 4}
              - pluginRef: load
              - pluginRef: weighted-random-picker
            """;

        var picker = (ProfileScheduler)SchedulerFactory.FromYaml(yaml);

        Assert.Equal([("queue-scorer", 1.5), ("prefix-cache-scorer", 4.0), ("load-aware-scorer", 1.0)], picker.Scorers.Select(s => (s.Scorer.Type, s.Weight)));
        var prefix = Assert.IsType<PrefixCacheScorer>(picker.Scorers[1].Scorer);
        Assert.Equal(32, prefix.BlockSize);
        Assert.Equal(128, prefix.MaxBlocks);
        Assert.Equal(500, prefix.Index.CapacityPerEndpoint);
        Assert.Equal(64, Assert.IsType<LoadAwareScorer>(picker.Scorers[2].Scorer).Threshold);
        Assert.Equal(2, picker.Picker.MaxEndpoints);
        Assert.Empty(picker.Filters);
        Assert.Equal(9, picker.Admission!.QueueDepthThreshold);
        Assert.Equal(TimeSpan.FromSeconds(2), picker.Admission.MetricsStalenessThreshold);
    }

    [Fact]
    public void Config_WithoutPicker_GetsMaxScorePicker()
    {
        var picker = (ProfileScheduler)SchedulerFactory.FromYaml("""
            plugins: [{type: queue-scorer}]
            schedulingProfiles: [{name: p, plugins: [{pluginRef: queue-scorer}]}]
            """);

        Assert.Equal(MaxScorePicker.PluginType, picker.Picker.Type);
        Assert.Equal(1, picker.Picker.MaxEndpoints);
    }

    [Theory]
    [InlineData("plugins: [{type: magic-scorer}]\nschedulingProfiles: [{name: p, plugins: [{pluginRef: magic-scorer}]}]", "unknown plugin type 'magic-scorer'")]
    [InlineData("plugins: [{type: queue-scorer}]\nschedulingProfiles: [{name: p, plugins: [{pluginRef: nope}]}]", "references plugin 'nope'")]
    [InlineData("plugins: [{type: queue-scorer}]", "'schedulingProfiles' is empty")]
    [InlineData("plugins: [{type: queue-scorer}, {type: queue-scorer}]\nschedulingProfiles: [{name: p, plugins: []}]", "used twice")]
    [InlineData("plugins: [{type: max-score-picker, parameters: {maxNumOfEndpoints: zero}}]\nschedulingProfiles: [{name: p, plugins: []}]", "'maxNumOfEndpoints' is 'zero'")]
    [InlineData("plugins: [{type: queue-scorer}]\nschedulingProfiles: [{name: p, plugins: [{pluginRef: queue-scorer, weight: -1}]}]", "non-negative")]
    [InlineData("plugins: [ {type: queue-scorer\n", "not valid YAML at line")]
    [InlineData("plugins: [{type: prefill-load-scorer, parameters: {prefillTokensPerSecond: 0}}]\nschedulingProfiles: [{name: p, plugins: []}]", "'prefillTokensPerSecond' is '0'")]
    [InlineData("plugins: [{type: prefill-load-scorer, parameters: {thresholdTokens: many}}]\nschedulingProfiles: [{name: p, plugins: []}]", "'thresholdTokens' is 'many'")]
    [InlineData("plugins: [{type: queue-scorer}]\nsaturationDetector: {pluginRef: queue-scorer}\nschedulingProfiles: [{name: p, plugins: []}]", "must name a 'utilization-detector'")]
    public void Config_Invalid_FailsWithAClearMessage(string yaml, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => SchedulerFactory.FromYaml(yaml));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownBuiltInProfile_ListsTheKnownNames()
    {
        var error = Assert.Throws<ArgumentException>(() => SchedulerFactory.Create("fastest"));

        Assert.Contains("round-robin", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("200ms", 200)]
    [InlineData("2s", 2000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("250", 250)]
    public void Durations_AcceptGoStyleUnits(string text, double milliseconds)
    {
        Assert.True(PluginParameters.TryParseDuration(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }
}
