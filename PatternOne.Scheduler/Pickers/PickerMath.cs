using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Scheduler.Pickers;

internal static class PickerMath
{
    /// <summary>Fills <paramref name="order"/> with the indexes 0…n−1 in a random order; returns it.</summary>
    public static Span<int> ShuffledIndexes(Random random, Span<int> order)
    {
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Shuffle(random, order);
        return order;
    }

    /// <summary>Fisher–Yates with the injected randomness.</summary>
    private static void Shuffle(Random random, Span<int> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Upstream's <c>maxNumOfEndpoints</c>: the primary plus fallbacks, 1 by default.</summary>
    public static int MaxEndpoints(PluginParameters parameters) => parameters.GetInt("maxNumOfEndpoints", 1, min: 1, max: 64);
}
