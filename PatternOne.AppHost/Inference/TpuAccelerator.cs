namespace PatternOne.AppHost.Inference;

/// <summary>
/// A Cloud TPU slice as GKE schedules it: the accelerator node label, the slice topology and the chip count the
/// pod requests as <c>google.com/tpu</c>. TPU chips are not fractional: request and limit are the whole slice.
/// </summary>
/// <param name="AcceleratorType">Value of the node label <c>cloud.google.com/gke-tpu-accelerator</c>.</param>
/// <param name="Topology">Value of the node label <c>cloud.google.com/gke-tpu-topology</c>, e.g. <c>2x2</c>.</param>
public sealed record TpuAccelerator(string AcceleratorType, string Topology)
{
    /// <summary>Cloud TPU v6e (Trillium) slice; the seed runs a single-host 2x2 slice.</summary>
    public static TpuAccelerator V6e(string topology = "2x2") => new("tpu-v6e-slice", topology);

    /// <summary>Chips in the slice: the product of the topology's dimensions (2x2 → 4).</summary>
    public int Chips => ParseDimensions().Aggregate(1, (product, dimension) => product * dimension);

    /// <summary>
    /// <c>TPU_CHIPS_PER_HOST_BOUNDS</c> for a single-host slice: the topology padded to three dimensions
    /// (2x2 → "2,2,1"), as the seed sets it.
    /// </summary>
    public string ChipsPerHostBounds
    {
        get
        {
            var dimensions = ParseDimensions().ToList();
            while (dimensions.Count < 3)
            {
                dimensions.Add(1);
            }

            return string.Join(',', dimensions);
        }
    }

    private IEnumerable<int> ParseDimensions()
    {
        var parts = Topology.Split('x');
        if (parts.Length is < 2 or > 3 || parts.Any(p => !int.TryParse(p, out var n) || n < 1))
        {
            throw new ArgumentException($"TPU topology '{Topology}' is not of the form AxB or AxBxC.", nameof(Topology));
        }

        return parts.Select(int.Parse);
    }
}
