using System.Buffers;

namespace PatternOne.Scheduler.ExtProc;

/// <summary>The fields of an OpenAI-style request body the scheduler uses.</summary>
/// <param name="Model">The <c>model</c> field.</param>
/// <param name="Prompt">
/// The head of the prompt the prefix index hashes (<c>prompt</c>, or the chat messages rendered in order), at most
/// <see cref="RequestBodyScanner.DefaultMaxPromptChars"/> characters.
/// </param>
/// <param name="PromptTokenEstimate">The whole prompt's length in tokens, estimated as characters / 4 (vLLM counts exactly).</param>
internal readonly record struct ParsedInferenceRequest(string Model, string Prompt, long PromptTokenEstimate);

/// <summary>Parses a whole body at once with <see cref="RequestBodyScanner"/> (tests, benchmarks).</summary>
internal static class InferenceRequestParser
{
    /// <summary>Parses; on failure returns false with a message fit for the client.</summary>
    public static bool TryParse(in ReadOnlySequence<byte> body, out ParsedInferenceRequest request, out string error)
    {
        var scanner = new RequestBodyScanner();
        var ok = true;
        if (body.IsEmpty)
        {
            ok = scanner.Append([], isFinal: true);
        }

        var position = body.Start;
        var remaining = body.Length;
        while (ok && body.TryGet(ref position, out var segment))
        {
            remaining -= segment.Length;
            ok = scanner.Append(segment.Span, isFinal: remaining == 0);
        }

        request = ok ? scanner.Result : default;
        error = scanner.Error ?? "";
        return ok;
    }
}
