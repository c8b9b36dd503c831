namespace PatternOne.Scheduler.Discovery;

/// <summary>Which pods form the pool and on which ports: an InferencePool's selector and target ports.</summary>
/// <param name="Selector">Equality label selector; a pod must carry every label.</param>
/// <param name="TargetPorts">Model server ports; each ready pod contributes <c>podIP:port</c> per port.</param>
public sealed record PoolSelection(IReadOnlyDictionary<string, string> Selector, IReadOnlyList<int> TargetPorts)
{
    /// <summary>The selector in the Kubernetes API's form, keys sorted: <c>a=1,b=2</c>.</summary>
    public string LabelSelector { get; } = string.Join(',', Selector.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    public bool Equals(PoolSelection? other) =>
        other is not null && LabelSelector == other.LabelSelector && TargetPorts.SequenceEqual(other.TargetPorts);

    public override int GetHashCode() => HashCode.Combine(LabelSelector, TargetPorts.Count > 0 ? TargetPorts[0] : 0);
}

/// <summary>
/// The current <see cref="PoolSelection"/> and a token cancelled when it changes: fixed from configuration with an
/// explicit selector, or followed from the InferencePool object by <see cref="InferencePoolWatcher"/>.
/// </summary>
public sealed class PoolSelectionSource
{
    private readonly Lock _gate = new();
    private PoolSelection? _current;
    private CancellationTokenSource _changed = new();

    public PoolSelectionSource()
    {
    }

    public PoolSelectionSource(PoolSelection initial) => _current = initial;

    /// <summary>The selection now (null until the pool has been read), and a token cancelled at the next change.</summary>
    public (PoolSelection? Selection, CancellationToken Changed) Snapshot()
    {
        lock (_gate)
        {
            return (_current, _changed.Token);
        }
    }

    /// <summary>Sets the selection; a different one cancels the previous snapshot's token.</summary>
    public void Set(PoolSelection selection)
    {
        CancellationTokenSource? previous = null;
        lock (_gate)
        {
            if (selection.Equals(_current))
            {
                return;
            }

            _current = selection;
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
        previous.Dispose();
    }
}
