namespace PatternOne.Benchmarks.HotPaths;

/// <summary>What the scheduling hot-path benchmarks share: the model, the 16 KB prompt size, the prompts' text and the endpoints' addresses.</summary>
internal static class HotPathInputs
{
    public const string Model = "Qwen/Qwen2.5-3B-Instruct";

    /// <summary>A 16 KB prompt: 256 prefix blocks of 64 characters.</summary>
    public const int PromptChars = 16 * 1024;

    /// <summary>Endpoint <paramref name="index"/>'s address, 250 to a /24.</summary>
    public static string EndpointAddress(int index) => $"10.0.{index / 250}.{(index % 250) + 1}:8000";

    /// <summary>Random lower-case words of four letters, <paramref name="chars"/> characters in all.</summary>
    public static string RandomText(Random random, int chars)
    {
        var buffer = new char[chars];
        for (var i = 0; i < chars; i++)
        {
            buffer[i] = i % 5 == 4 ? ' ' : (char)('a' + random.Next(26));
        }

        return new string(buffer);
    }
}
