using PatternOne.VllmSimulator.KvCache;
using PatternOne.VllmSimulator.Metrics;

namespace PatternOne.VllmSimulator.Engine;

/// <summary>
/// vLLM V1's scheduler and KV cache manager reduced to what decides timing (vllm/v1/core/sched/scheduler.py, kv_cache_manager.py, block_pool.py):
/// <list type="number">
/// <item>running requests first, in order: one token for a decoding request, the next prompt chunk for one still
/// prefilling, each taking from the step's token budget; if its KV blocks cannot be allocated the last running
/// request is preempted (blocks freed, back to the front of the queue, recomputed later);</item>
/// <item>then waiting requests FCFS while seats (max-num-seqs), budget and KV blocks last; a new request first takes
/// the longest cached prefix of whole blocks (capped at its length − 1); the queue head is never skipped;</item>
/// <item>the step lasts base + a_p·prefill tokens + a_d·decode sequences; a request whose tokens are all computed
/// samples one token at the step's end; full blocks enter the prefix cache as they fill.</item>
/// </list>
/// </summary>
internal sealed class EngineCore : IEngineCore
{
    private readonly BlockPool _pool;
    private readonly List<EngineSequence> _running = [];
    private readonly LinkedList<EngineSequence> _waiting = new();
    private readonly Dictionary<string, EngineSequence> _live = new(StringComparer.Ordinal);
    private readonly List<(EngineSequence Sequence, int Tokens)> _scheduled = [];
    private readonly List<int> _hitBlocks = [];
    private readonly int _blockSize;

    public EngineCore(EngineOptions options)
    {
        Options = options;
        _blockSize = options.BlockSize;
        _pool = new BlockPool(options.EffectiveNumGpuBlocks);
        Metrics = new EngineMetrics(options.MaxModelLen);
    }

    public EngineOptions Options { get; }

    public TimeSpan Now { get; private set; }

    public bool HasWork => _running.Count > 0 || _waiting.Count > 0;

    public EngineMetrics Metrics { get; }

    public EngineSequence Submit(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PromptTokenIds.Count < 1)
        {
            throw new ArgumentException("The prompt must have at least one token.", nameof(request));
        }

        if (request.OutputTokens < 1)
        {
            throw new ArgumentException("A request must generate at least one token.", nameof(request));
        }

        if (request.OutputTokenIds is { } ids && ids.Count != request.OutputTokens)
        {
            throw new ArgumentException("OutputTokenIds must hold OutputTokens ids.", nameof(request));
        }

        var total = request.PromptTokenIds.Count + request.OutputTokens;
        if (total > Options.MaxModelLen)
        {
            throw new ArgumentException(
                $"Prompt ({request.PromptTokenIds.Count}) plus output ({request.OutputTokens}) exceeds max-model-len {Options.MaxModelLen}.",
                nameof(request));
        }

        if (total > Options.KvCapacityTokens)
        {
            throw new ArgumentException($"The request needs {total} tokens of KV; the pool holds {Options.KvCapacityTokens}.", nameof(request));
        }

        if (_live.ContainsKey(request.RequestId))
        {
            throw new ArgumentException($"Request id '{request.RequestId}' is already live.", nameof(request));
        }

        var arrival = request.ArrivalTime ?? Now;
        if (!HasWork && arrival > Now)
        {
            Now = arrival; // an idle engine waits for the arrival; no step may start before it
        }

        var sequence = new EngineSequence(request, arrival);
        _live.Add(request.RequestId, sequence);
        sequence.WaitingNode = _waiting.AddLast(sequence);
        Metrics.Version++;
        return sequence;
    }

    public bool Abort(string requestId)
    {
        if (!_live.Remove(requestId, out var sequence))
        {
            return false;
        }

        if (sequence.WaitingNode is { } node)
        {
            _waiting.Remove(node);
            sequence.WaitingNode = null;
        }
        else
        {
            _running.Remove(sequence);
        }

        _pool.FreeReversed(sequence.Blocks);
        sequence.Status = SequenceStatus.Aborted;
        sequence.FinishReason = FinishReason.Abort;
        sequence.FinishTime = Now;
        Metrics.Aborted++;
        Metrics.Version++;
        return true;
    }

    public StepResult? Step()
    {
        if (!HasWork)
        {
            return null;
        }

        var start = Now;
        var preemptions = Schedule(start);
        if (_scheduled.Count == 0)
        {
            // Cannot happen when Submit's capacity checks hold: an empty pool always fits the queue head.
            throw new InvalidOperationException("The engine has work but could schedule nothing.");
        }

        var prefillTokens = 0;
        var decodeSeqs = 0;
        foreach (var (sequence, tokens) in _scheduled)
        {
            // A decode step computes the one token sampled last step; anything else is (re)prefill.
            if (tokens == 1 && sequence.OutputTokens > 0 && sequence.NumComputed == sequence.NumTokens - 1)
            {
                decodeSeqs++;
            }
            else
            {
                prefillTokens += tokens;
            }
        }

        var end = start + Options.StepTime.Duration(prefillTokens, decodeSeqs);
        Now = end;
        var events = new List<TokenEvent>(_scheduled.Count);
        foreach (var (sequence, tokens) in _scheduled)
        {
            sequence.NumComputed += tokens;
            CacheFullBlocks(sequence);
            if (sequence.NumComputed < sequence.NumTokens)
            {
                continue; // mid-prefill chunk: no token yet
            }

            EmitToken(sequence, end, events);
        }

        _scheduled.Clear();
        Metrics.Steps++;
        Metrics.IterationTokens.Observe(prefillTokens + decodeSeqs);
        Metrics.Version++;
        return new StepResult(start, end, prefillTokens, decodeSeqs, preemptions, events);
    }

    public IReadOnlyList<TokenEvent> AdvanceTo(TimeSpan time)
    {
        List<TokenEvent>? events = null;
        while (Now < time)
        {
            var step = Step();
            if (step is null)
            {
                Now = time;
                break;
            }

            (events ??= []).AddRange(step.Tokens);
        }

        return events ?? (IReadOnlyList<TokenEvent>)[];
    }

    /// <summary>
    /// Moves the clock forward without stepping: the time the real-time host spent between steps (timer slack,
    /// CPU contention). Never moves it back.
    /// </summary>
    internal void StallUntil(TimeSpan time)
    {
        if (time > Now)
        {
            Now = time;
        }
    }

    public int RunUntilIdle(int maxSteps = int.MaxValue)
    {
        var steps = 0;
        while (steps < maxSteps && Step() is not null)
        {
            steps++;
        }

        return steps;
    }

    /// <summary>vLLM's <c>reset_prefix_cache</c>: drops every cached block; refused (false) while requests hold blocks.</summary>
    public bool ResetPrefixCache() => _pool.ResetPrefixCache();

    public EngineSnapshot Snapshot() => new()
    {
        Now = Now,
        Running = _running.Count,
        Waiting = _waiting.Count,
        KvCacheUsage = _pool.Usage,
        NumGpuBlocks = _pool.NumBlocks,
        BlockSize = _blockSize,
        PrefixCacheQueries = Metrics.PrefixCacheQueries,
        PrefixCacheHits = Metrics.PrefixCacheHits,
        Preemptions = Metrics.Preemptions,
        Evictions = _pool.Evictions,
        Finished = Metrics.SuccessStop + Metrics.SuccessLength,
        Aborted = Metrics.Aborted,
        Steps = Metrics.Steps,
    };

    /// <summary>Fills <see cref="_scheduled"/>; returns the number of preemptions.</summary>
    private int Schedule(TimeSpan stepStart)
    {
        var budget = Options.MaxNumBatchedTokens;
        var preemptions = 0;

        // 1. Running requests, in admission order.
        for (var i = 0; i < _running.Count && budget > 0; i++)
        {
            var sequence = _running[i];
            var tokens = Math.Min(sequence.NumTokens - sequence.NumComputed, budget);
            var scheduled = true;
            while (!TryAllocate(sequence, tokens))
            {
                // Preempt the lowest-priority (last admitted) request; possibly this one.
                var victim = _running[^1];
                _running.RemoveAt(_running.Count - 1);
                Preempt(victim);
                preemptions++;
                if (ReferenceEquals(victim, sequence))
                {
                    scheduled = false;
                    break;
                }
            }

            if (!scheduled)
            {
                break;
            }

            _scheduled.Add((sequence, tokens));
            budget -= tokens;
        }

        // 2. Waiting requests, FCFS, only if nothing was preempted this step (as vLLM).
        while (preemptions == 0 && budget > 0 && _running.Count < Options.MaxNumSeqs && _waiting.First is { } node)
        {
            var sequence = node.Value;
            var hitTokens = FindCachedPrefix(sequence);
            var tokens = Math.Min(sequence.NumTokens - hitTokens, budget);
            if (!TryAdmit(sequence, hitTokens, tokens))
            {
                break; // head-of-line: later requests wait too
            }

            _waiting.RemoveFirst();
            sequence.WaitingNode = null;
            sequence.Status = SequenceStatus.Running;
            sequence.FirstScheduled ??= stepStart;
            sequence.CachedTokens ??= hitTokens;
            Metrics.PrefixCacheQueries += sequence.NumTokens;
            Metrics.PrefixCacheHits += hitTokens;
            _running.Add(sequence);
            _scheduled.Add((sequence, tokens));
            budget -= tokens;
        }

        return preemptions;
    }

    /// <summary>Longest run of cached full blocks from the start, capped at length − 1 (the last token is always
    /// recomputed to get logits). Leaves the hit blocks in <see cref="_hitBlocks"/>.</summary>
    private int FindCachedPrefix(EngineSequence sequence)
    {
        _hitBlocks.Clear();
        var maxBlocks = (sequence.NumTokens - 1) / _blockSize;
        for (var i = 0; i < maxBlocks; i++)
        {
            if (!_pool.TryGetCached(sequence.BlockHash(i, _blockSize), out var block))
            {
                break;
            }

            _hitBlocks.Add(block);
        }

        return _hitBlocks.Count * _blockSize;
    }

    private bool TryAdmit(EngineSequence sequence, int hitTokens, int tokens)
    {
        var needed = BlocksFor(hitTokens + tokens) - _hitBlocks.Count;
        var hitsThatAreFree = 0;
        foreach (var block in _hitBlocks)
        {
            if (_pool.IsFree(block))
            {
                hitsThatAreFree++;
            }
        }

        if (needed + hitsThatAreFree > _pool.FreeCount)
        {
            return false;
        }

        foreach (var block in _hitBlocks)
        {
            _pool.Touch(block);
            sequence.Blocks.Add(block);
        }

        sequence.NumComputed = hitTokens;
        sequence.NumCachedBlocks = _hitBlocks.Count;
        _pool.Allocate(needed, sequence.Blocks);
        return true;
    }

    private bool TryAllocate(EngineSequence sequence, int tokens)
    {
        var needed = BlocksFor(sequence.NumComputed + tokens) - sequence.Blocks.Count;
        if (needed <= 0)
        {
            return true;
        }

        if (needed > _pool.FreeCount)
        {
            return false;
        }

        _pool.Allocate(needed, sequence.Blocks);
        return true;
    }

    private void Preempt(EngineSequence sequence)
    {
        _pool.FreeReversed(sequence.Blocks);
        sequence.NumComputed = 0;
        sequence.NumCachedBlocks = 0;
        sequence.Status = SequenceStatus.Waiting;
        sequence.Preemptions++;
        sequence.WaitingNode = _waiting.AddFirst(sequence);
        Metrics.Preemptions++;
    }

    private void CacheFullBlocks(EngineSequence sequence)
    {
        var full = sequence.NumComputed / _blockSize;
        for (var i = sequence.NumCachedBlocks; i < full; i++)
        {
            _pool.Cache(sequence.Blocks[i], sequence.BlockHash(i, _blockSize));
        }

        if (full > sequence.NumCachedBlocks)
        {
            sequence.NumCachedBlocks = full;
        }
    }

    private void EmitToken(EngineSequence sequence, TimeSpan end, List<TokenEvent> events)
    {
        var index = sequence.OutputTokens;
        var previous = index > 0 ? sequence.TokenTimes[^1] : (TimeSpan?)null;
        sequence.OutputTokens++;
        sequence.AddTokenTime(end);
        Metrics.GenerationTokens++;
        if (previous is { } last)
        {
            Metrics.InterTokenLatency.Observe((end - last).TotalSeconds);
        }
        else
        {
            Metrics.PromptTokens += sequence.PromptTokens;
            Metrics.TimeToFirstToken.Observe((end - sequence.Arrival).TotalSeconds);
        }

        FinishReason? finish = null;
        if (sequence.OutputTokens >= sequence.Request.OutputTokens)
        {
            finish = sequence.Request.FinishReason;
            _running.Remove(sequence);
            _live.Remove(sequence.RequestId);
            _pool.FreeReversed(sequence.Blocks);
            sequence.Status = SequenceStatus.Finished;
            sequence.FinishReason = finish;
            sequence.FinishTime = end;
            Metrics.RecordFinished(sequence);
        }

        events.Add(new TokenEvent(sequence, index, sequence.OutputTokenId(index), end, finish));
    }

    private int BlocksFor(int tokens) => (tokens + _blockSize - 1) / _blockSize;
}
