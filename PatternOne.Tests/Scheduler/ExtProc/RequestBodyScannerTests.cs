using System.Text;
using System.Text.Json;
using PatternOne.Scheduler.ExtProc;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Tests.Scheduler.ExtProc;

public class RequestBodyScannerTests
{
    /// <summary>Envoy's and the gateway's body chunk size.</summary>
    private const int ChunkSize = 62_000;

    [Fact]
    public void RetainedBytes_DoNotGrowWithTheBody_From1MiBTo15MiB()
    {
        var (small, smallResult) = Scan(ChatBody(1 << 20));
        var (large, largeResult) = Scan(ChatBody(15 << 20));

        // What one request holds is bounded by the prompt head kept, not by the body: 15× the body, same footprint.
        Assert.Equal(small, large);
        Assert.InRange(large, 1, 1 << 20);
        Assert.Equal("Qwen/Qwen2.5-3B-Instruct", largeResult.Model);
        Assert.Equal(RequestBodyScanner.DefaultMaxPromptChars, largeResult.Prompt.Length);
        Assert.Equal(smallResult.Prompt, largeResult.Prompt);
        Assert.StartsWith("<|im_start|>system\nYou are", largeResult.Prompt, StringComparison.Ordinal);
        // The estimate still sees the whole prompt (≈ 15 MiB of text / 4 characters per token).
        Assert.InRange(largeResult.PromptTokenEstimate, (15L << 20) / 4, ((15L << 20) / 4) + 100);
    }

    [Fact]
    public void ModelAfterAHugePrompt_IsStillRead()
    {
        var body = Encoding.UTF8.GetBytes("{\"prompt\":\"" + new string('x', 3 << 20) + "\",\"max_tokens\":5,\"model\":\"late\"}");

        var (_, result) = Scan(body);

        Assert.Equal("late", result.Model);
        Assert.Equal(new string('x', RequestBodyScanner.DefaultMaxPromptChars), result.Prompt);
    }

    [Theory]
    [InlineData("plain ascii text that runs well past the cut")]
    [InlineData("ééééééééééééééééééééééééééééééééééééé")]
    [InlineData("😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀")]
    [InlineData("a\\nb\\\"c\\u00e9\\uD83D\\uDE00\\\\d\\te\\u4e2d\\uD83D\\uDE00\\uD83D\\uDE00\\uD83D\\uDE00\\uD83D\\uDE00\\uD83D\\uDE00\\uD83D\\uDE00")]
    public void CutStrings_EndOnACharacterBoundary_AtEverySplitOfTheBody(string jsonText)
    {
        var json = "{\"model\":\"m\",\"prompt\":\"" + jsonText + "\"}";
        var whole = JsonDocument.Parse(json).RootElement.GetProperty("prompt").GetString()!;
        var bytes = Encoding.UTF8.GetBytes(json);

        for (var split = 1; split < bytes.Length; split++)
        {
            var scanner = new RequestBodyScanner(maxPromptChars: 6);
            Assert.True(scanner.Append(bytes.AsSpan(0, split), isFinal: false), scanner.Error);
            Assert.True(scanner.Append(bytes.AsSpan(split), isFinal: true), scanner.Error);

            var prompt = scanner.Result.Prompt;
            Assert.StartsWith(prompt, whole, StringComparison.Ordinal);
            Assert.InRange(prompt.Length, 1, 6);
            Assert.InRange(scanner.Result.PromptTokenEstimate, whole.Length / 8, (whole.Length / 4) + 1);
        }
    }

    [Fact]
    public void ChatMessages_AreRenderedAsThePrefixIndexExpects_WhenFedByteByByte()
    {
        var json = """{"messages":[{"content":"S","role":"system"},{"role":"user","content":[{"type":"text","text":"A"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"B"}]}],"model":"m"}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        var scanner = new RequestBodyScanner();

        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.True(scanner.Append(bytes.AsSpan(i, 1), isFinal: i == bytes.Length - 1), scanner.Error);
        }

        Assert.Equal("m", scanner.Result.Model);
        Assert.Equal(PromptRenderer.RenderChat([("system", "S"), ("user", "AB")]), scanner.Result.Prompt);
    }

    [Fact]
    public void LongRunsOfBlanks_AreValidJson_AndNotHeld()
    {
        var body = Encoding.UTF8.GetBytes("{\"model\":" + new string(' ', 1 << 20) + "\"m\",\n" + new string('\n', 100_000) + "\"prompt\":\"p\"}");

        var (retained, result) = Scan(body);

        Assert.Equal("m", result.Model);
        Assert.Equal("p", result.Prompt);
        Assert.InRange(retained, 1, 64 * 1024);
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":1""" + "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("""{"model":"m","messages":"hi"}""")]
    [InlineData("""{"model":["m"]}""")]
    [InlineData("""{"model":"m","prompt":"unterminated""")]
    [InlineData("""  "just a string" """)]
    public void UnusableBodies_AreRefusedWithAMessage(string json)
    {
        var body = Encoding.UTF8.GetBytes(json.Replace("0000000000000000000000000000000000000000000000000000000000000000", new string('0', 10_000), StringComparison.Ordinal));
        var scanner = new RequestBodyScanner();

        var ok = true;
        for (var offset = 0; ok && offset < body.Length; offset += 1000)
        {
            var length = Math.Min(1000, body.Length - offset);
            ok = scanner.Append(body.AsSpan(offset, length), isFinal: offset + length == body.Length);
        }

        Assert.False(ok);
        Assert.False(string.IsNullOrEmpty(scanner.Error));
    }

    private static (long MaxRetained, ParsedInferenceRequest Result) Scan(byte[] body)
    {
        var scanner = new RequestBodyScanner();
        long maxRetained = 0;
        for (var offset = 0; offset < body.Length; offset += ChunkSize)
        {
            var length = Math.Min(ChunkSize, body.Length - offset);
            Assert.True(scanner.Append(body.AsSpan(offset, length), isFinal: offset + length == body.Length), scanner.Error);
            maxRetained = Math.Max(maxRetained, scanner.RetainedBytes);
        }

        return (maxRetained, scanner.Result);
    }

    /// <summary>A chat request whose user message is <paramref name="promptBytes"/> of text, as the OpenAI SDK orders it.</summary>
    private static byte[] ChatBody(int promptBytes)
    {
        var text = new StringBuilder(promptBytes);
        while (text.Length < promptBytes)
        {
            text.Append("The quick brown fox jumps over the lazy dog. ");
        }

        text.Length = promptBytes;
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            messages = new[]
            {
                new { role = "system", content = "You are a helpful assistant." },
                new { role = "user", content = text.ToString() },
            },
            model = "Qwen/Qwen2.5-3B-Instruct",
            max_tokens = 16,
            stream = true,
        });
    }
}
