using PatternOne.VllmSimulator.Tokenization;

namespace PatternOne.Tests.Simulator.Tokenization;

public class TokenizationTests
{
    private const string Prose =
        "Continuous batching lets the engine add new requests to a running batch at every step, instead of waiting for " +
        "the whole batch to finish. Combined with prefix caching, requests that share a long system prompt skip most of " +
        "their prefill, which is why routing them to the same replica matters so much for time to first token.";

    [Fact]
    public void EnglishProse_IsAboutFourCharactersPerToken()
    {
        var ids = new List<int>();
        new ApproximateTokenizer().Encode(Prose, ids);

        var charsPerToken = (double)Prose.Length / ids.Count;
        Assert.InRange(charsPerToken, 3.5, 4.8);
    }

    [Fact]
    public void Encode_IsDeterministicAcrossInstancesAndDecodes()
    {
        var a = new List<int>();
        var b = new List<int>();
        var first = new ApproximateTokenizer();
        first.Encode(Prose, a);
        new ApproximateTokenizer().Encode(Prose, b);

        Assert.Equal(a, b);
        Assert.Equal(Prose, first.Decode(a));
        Assert.All(a, id => Assert.InRange(id, 0, Qwen25Vocabulary.RegularTokens - 1));
    }

    [Fact]
    public void SpecialTokens_AreSingleTokensWithQwenIds()
    {
        var ids = new List<int>();
        new ApproximateTokenizer().Encode("<|im_start|>user\nHi<|im_end|>", ids);

        Assert.Equal(Qwen25Vocabulary.ImStart, ids[0]);
        Assert.Equal(Qwen25Vocabulary.ImEnd, ids[^1]);
    }

    [Fact]
    public void ChatTemplate_InjectsDefaultSystemPromptAndGenerationPrompt()
    {
        var text = ChatTemplate.Render([new ChatMessage("user", "Hello!")]);

        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
            text);
    }

    [Fact]
    public void ChatTemplate_KeepsCallersSystemPrompt()
    {
        var text = ChatTemplate.Render([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")], addGenerationPrompt: false);

        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n", text);
    }

    [Fact]
    public void OneWordChat_IsAboutThirtyPromptTokens()
    {
        var ids = new List<int>();
        new ApproximateTokenizer().Encode(ChatTemplate.Render([new ChatMessage("user", "Hello!")]), ids);

        // Real Qwen2.5: ≈30 tokens (the Qwen2.5 chat template with its default system turn, huggingface.co/Qwen/Qwen2.5-3B-Instruct).
        Assert.InRange(ids.Count, 25, 40);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(5, false)]
    [InlineData(500, true)]
    public void Generate_HonoursMaxTokensAndIgnoreEos(int maxTokens, bool ignoreEos)
    {
        var output = TextGenerator.Generate(seed: 11, maxTokens, ignoreEos, stop: null);

        Assert.Equal(maxTokens, output.TokenIds.Count);
        Assert.Equal(output.TokenIds.Count, output.Pieces.Count);
        Assert.False(output.Stopped);
    }

    [Fact]
    public void Generate_WithoutIgnoreEos_StopsNaturallyAndIsSeeded()
    {
        var a = TextGenerator.Generate(seed: 99, maxTokens: 10_000, ignoreEos: false, stop: null);
        var b = TextGenerator.Generate(seed: 99, maxTokens: 10_000, ignoreEos: false, stop: null);

        Assert.True(a.Stopped);
        Assert.InRange(a.TokenIds.Count, TextGenerator.MinNaturalTokens, TextGenerator.MaxNaturalTokens);
        Assert.Equal(a.Text, b.Text);
        Assert.NotEqual(a.Text, TextGenerator.Generate(seed: 100, maxTokens: 10_000, ignoreEos: false, stop: null).Text);
    }
}
