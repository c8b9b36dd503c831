namespace PatternOne.Tests.Simulator.Api;

/// <summary>Splits an SSE body into its <c>data:</c> payloads, checking the framing on the way.</summary>
internal static class SseParser
{
    public static List<string> Parse(string body)
    {
        var events = new List<string>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", block, StringComparison.Ordinal);
            events.Add(block["data: ".Length..]);
        }

        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        return events;
    }
}
