namespace PatternOne.VllmSimulator.Tokenization;

/// <summary>Qwen2.5's special tokens and sizes (huggingface.co/Qwen/Qwen2.5-3B-Instruct, config.json and tokenizer_config.json).</summary>
public static class Qwen25Vocabulary
{
    /// <summary>Regular (BPE) tokens; ids below this are ordinary text.</summary>
    public const int RegularTokens = 151_643;

    public const int EndOfText = 151_643;
    public const int ImStart = 151_644;
    public const int ImEnd = 151_645;

    public const string EndOfTextText = "<|endoftext|>";
    public const string ImStartText = "<|im_start|>";
    public const string ImEndText = "<|im_end|>";

    /// <summary>The system prompt Qwen2.5's chat template injects when the conversation has none.</summary>
    public const string DefaultSystemPrompt = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
}
