namespace PatternOne.VllmSimulator.Engine;

/// <summary>
/// A request inside one engine and its timings, all on the engine's virtual clock. Returned by
/// <see cref="IEngineCore.Submit"/>; read it after steps (not thread-safe: read it on the thread that drives the engine).
/// </summary>
public sealed class EngineSequence
{
    private readonly List<TimeSpan> _tokenTimes = [];
    private readonly int[] _outputIds;

    internal EngineSequence(GenerationRequest request, TimeSpan arrival)
    {
        Request = request;
        RequestId = request.RequestId;
        Arrival = arrival;
        PromptTokens = request.PromptTokenIds.Count;
        _outputIds = new int[request.OutputTokens];
        if (request.OutputTokenIds is { } ids)
        {
            for (var i = 0; i < _outputIds.Length; i++)
            {
                _outputIds[i] = ids[i];
            }
        }
        else
        {
            // Deterministic stand-in ids so generated blocks hash identically for identical request ids.
            var seed = 2166136261u;
            foreach (var c in request.RequestId)
            {
                seed = (seed ^ c) * 16777619u;
            }

            for (var i = 0; i < _outputIds.Length; i++)
            {
                seed = (seed * 1664525u) + 1013904223u;
                _outputIds[i] = (int)(seed % 151_643u);
            }
        }
    }

    /// <summary>The request as submitted.</summary>
    public GenerationRequest Request { get; }

    /// <summary>The request id.</summary>
    public string RequestId { get; }

    /// <summary>Prompt length in tokens.</summary>
    public int PromptTokens { get; }

    /// <summary>Tokens produced so far.</summary>
    public int OutputTokens { get; internal set; }

    /// <summary>Where the sequence is.</summary>
    public SequenceStatus Status { get; internal set; } = SequenceStatus.Waiting;

    /// <summary>Set once the sequence finished or was aborted.</summary>
    public FinishReason? FinishReason { get; internal set; }

    /// <summary>Prompt tokens served from the prefix cache when first scheduled (vLLM's <c>num_cached_tokens</c>,
    /// reported as <c>usage.prompt_tokens_details.cached_tokens</c>); null until scheduled.</summary>
    public int? CachedTokens { get; internal set; }

    /// <summary>Times the sequence was preempted (its KV freed and recomputed later).</summary>
    public int Preemptions { get; internal set; }

    /// <summary>Virtual arrival time.</summary>
    public TimeSpan Arrival { get; }

    /// <summary>Start of the first step that scheduled it.</summary>
    public TimeSpan? FirstScheduled { get; internal set; }

    /// <summary>End of the step that produced the first token.</summary>
    public TimeSpan? FirstTokenTime => _tokenTimes.Count > 0 ? _tokenTimes[0] : null;

    /// <summary>End of the step that produced each token, in order.</summary>
    public IReadOnlyList<TimeSpan> TokenTimes => _tokenTimes;

    /// <summary>When it finished or was aborted.</summary>
    public TimeSpan? FinishTime { get; internal set; }

    /// <summary>Time to first token (null before the first token).</summary>
    public TimeSpan? TimeToFirstToken => FirstTokenTime - Arrival;

    /// <summary>End-to-end latency (null before it finished).</summary>
    public TimeSpan? EndToEnd => FinishTime - Arrival;

    /// <summary>True once finished or aborted.</summary>
    public bool IsDone => Status is SequenceStatus.Finished or SequenceStatus.Aborted;

    // Engine-private state ------------------------------------------------------------------------------------

    /// <summary>Tokens whose KV has been computed.</summary>
    internal int NumComputed { get; set; }

    /// <summary>Prompt plus generated tokens known so far.</summary>
    internal int NumTokens => PromptTokens + OutputTokens;

    /// <summary>KV blocks held, in sequence order.</summary>
    internal List<int> Blocks { get; } = [];

    /// <summary>Chained hashes of this sequence's full blocks, computed lazily.</summary>
    internal List<ulong> BlockHashes { get; } = [];

    /// <summary>Blocks already registered in the prefix cache.</summary>
    internal int NumCachedBlocks { get; set; }

    /// <summary>Node in the waiting queue while waiting.</summary>
    internal LinkedListNode<EngineSequence>? WaitingNode { get; set; }

    internal int TokenAt(int index) =>
        index < PromptTokens ? Request.PromptTokenIds[index] : _outputIds[index - PromptTokens];

    internal int OutputTokenId(int index) => _outputIds[index];

    internal void AddTokenTime(TimeSpan time) => _tokenTimes.Add(time);

    /// <summary>Hash of full block <paramref name="index"/>, extending the chain as needed.</summary>
    internal ulong BlockHash(int index, int blockSize)
    {
        Span<int> buffer = stackalloc int[Math.Min(blockSize, 256)];
        while (BlockHashes.Count <= index)
        {
            var i = BlockHashes.Count;
            var parent = i == 0 ? KvCache.BlockHasher.RootHash : BlockHashes[i - 1];
            ulong hash;
            if (blockSize <= buffer.Length)
            {
                for (var t = 0; t < blockSize; t++)
                {
                    buffer[t] = TokenAt((i * blockSize) + t);
                }

                hash = KvCache.BlockHasher.Hash(parent, buffer[..blockSize]);
            }
            else
            {
                var big = new int[blockSize];
                for (var t = 0; t < blockSize; t++)
                {
                    big[t] = TokenAt((i * blockSize) + t);
                }

                hash = KvCache.BlockHasher.Hash(parent, big);
            }

            BlockHashes.Add(hash);
        }

        return BlockHashes[index];
    }
}
