using System.Buffers;
using System.Text;
using PatternOne.Scheduler.ExtProc;

namespace PatternOne.Tests.Scheduler.ExtProc;

public class InferenceRequestParserTests
{
    [Theory]
    [InlineData("""{"model":"m","prompt":"Hello world"}""", "m", "Hello world")]
    [InlineData("""{"prompt":["a","b"],"model":"m","max_tokens":5}""", "m", "ab")]
    [InlineData("""{"model":"m","prompt":[1,2,3]}""", "m", "")]
    [InlineData("""{"model":"m","messages":[{"role":"system","content":"S"},{"role":"user","content":"U"}]}""", "m", "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")]
    [InlineData("""{"model":"m","messages":[{"content":[{"type":"text","text":"A"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"B"}],"role":"user"}]}""", "m", "<|im_start|>user\nAB<|im_end|>\n")]
    [InlineData("""{"model":"m","stream":true,"stream_options":{"include_usage":true},"tools":[{"a":[1,{"b":null}]}],"messages":[]}""", "m", "")]
    public void TryParse_ExtractsModelAndRenderedPrompt(string json, string model, string prompt)
    {
        Assert.True(InferenceRequestParser.TryParse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), out var parsed, out var error), error);

        Assert.Equal(model, parsed.Model);
        Assert.Equal(prompt, parsed.Prompt);
    }

    [Fact]
    public void TryParse_ReadsABodySplitAcrossChunks()
    {
        var json = """{"model":"m","messages":[{"role":"user","content":"split across chunks ü"}]}""";
        var buffer = new BodyBuffer();
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var i = 0; i < bytes.Length; i += 7)
        {
            buffer.Append(Google.Protobuf.ByteString.CopyFrom(bytes, i, Math.Min(7, bytes.Length - i)));
        }

        Assert.True(InferenceRequestParser.TryParse(buffer.AsSequence(), out var parsed, out _));

        Assert.Equal("<|im_start|>user\nsplit across chunks ü<|im_end|>\n", parsed.Prompt);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"model":"m" """)]
    [InlineData("""{"model":5}""")]
    [InlineData("""{"model":"m","messages":"hi"}""")]
    [InlineData("""{"model":"m"} {"again":1}""")]
    public void TryParse_RejectsUnusableBodiesWithAMessage(string json)
    {
        Assert.False(InferenceRequestParser.TryParse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), out _, out var error));
        Assert.NotEmpty(error);
    }
}
