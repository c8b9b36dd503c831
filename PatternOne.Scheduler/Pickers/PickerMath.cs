namespace PatternOne.Scheduler.Pickers;

internal static class PickerMath
{
    /// <summary>Fisher–Yates with the injected randomness.</summary>
    public static void Shuffle(Random random, Span<int> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
