namespace PatternOne.VllmSimulator.Engine;

/// <summary>
/// Duration of one engine step: <c>base + a_p × prefill_tokens + a_d × decode_seqs</c> (derivation and sources: this project's README, "Step-time constants").
/// Defaults are calibrated to Qwen2.5-3B-Instruct on TPU v6e-4: a third-party run measured ≈477 ms end to end for
/// 50 tokens at concurrency 1 and ≈554 ms at concurrency 20 (through a gateway), i.e. ≈9.5 ms per decode step
/// growing ≈0.08 ms per extra sequence; prefill cost is the roofline estimate (6.2 GFLOP/token on 3.67 PFLOPS at
/// ~20–30% utilisation ≈ 8 µs/token).
/// </summary>
public sealed record StepTimeModel
{
    /// <summary>Fixed cost of every step in milliseconds (weights read, all-reduces, dispatch). Default 9.0.</summary>
    public double BaseMs { get; init; } = 9.0;

    /// <summary>Cost per prompt token computed in the step (a_p), milliseconds. Default 0.008.</summary>
    public double PrefillMsPerToken { get; init; } = 0.008;

    /// <summary>Cost per decoding sequence in the step (a_d), milliseconds. Default 0.08.</summary>
    public double DecodeMsPerSeq { get; init; } = 0.08;

    /// <summary>The modelled duration of a step.</summary>
    public TimeSpan Duration(int prefillTokens, int decodeSeqs) =>
        TimeSpan.FromTicks((long)Math.Round(
            (BaseMs + (PrefillMsPerToken * prefillTokens) + (DecodeMsPerSeq * decodeSeqs)) * TimeSpan.TicksPerMillisecond));

    /// <summary>Every problem with these constants.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(BaseMs > 0) || double.IsInfinity(BaseMs))
        {
            errors.Add($"--sim-step-base-ms must be a positive number, got {BaseMs}.");
        }

        if (!(PrefillMsPerToken >= 0) || double.IsInfinity(PrefillMsPerToken))
        {
            errors.Add($"--sim-prefill-ms-per-token must be zero or positive, got {PrefillMsPerToken}.");
        }

        if (!(DecodeMsPerSeq >= 0) || double.IsInfinity(DecodeMsPerSeq))
        {
            errors.Add($"--sim-decode-ms-per-seq must be zero or positive, got {DecodeMsPerSeq}.");
        }

        return errors;
    }
}
