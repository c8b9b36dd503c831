using System.Globalization;

namespace PatternOne.Benchmarks.Reporting;

/// <summary>
/// Seeds derived from values with FNV-1a over their invariant text. <see cref="HashCode.Combine{T1,T2}"/> and
/// <c>string.GetHashCode</c> are randomised per process, which would make two runs with the same --seed differ.
/// </summary>
public static class StableSeed
{
    public static int Of(params object[] parts)
    {
        var hash = 2166136261u;
        foreach (var part in parts)
        {
            foreach (var c in Convert.ToString(part, CultureInfo.InvariantCulture) ?? "")
            {
                hash = (hash ^ c) * 16777619u;
            }

            hash = (hash ^ '|') * 16777619u;
        }

        return (int)(hash & 0x7FFFFFFF);
    }
}
