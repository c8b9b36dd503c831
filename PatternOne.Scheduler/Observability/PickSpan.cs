namespace PatternOne.Scheduler.Observability;

/// <summary>
/// Names on the <c>schedule</c> span that explain a pick (read by the Aspire dashboard's trace view and by tests):
/// tags for the profile and the winner, and one <see cref="CandidateEvent"/> per candidate carrying its endpoint, its
/// weighted total, whether it won, and per scorer <c>score.&lt;scorer&gt;</c> (raw, [0,1]) and <c>weight.&lt;scorer&gt;</c>.
/// </summary>
public static class PickSpan
{
    public const string Profile = "patternone.scheduler.profile";
    public const string Winner = "patternone.scheduler.winner";
    public const string CandidateCount = "patternone.scheduler.candidates";
    public const string CandidateEvent = "candidate";
    public const string CandidateEndpoint = "endpoint";
    public const string CandidateTotal = "total";
    public const string CandidateWinner = "winner";
    public const string ScorePrefix = "score.";
    public const string WeightPrefix = "weight.";
}
