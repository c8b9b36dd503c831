using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Reliability;

// PatternOne.Benchmarks: one command per scenario (scheduling | e2e | datapath | hotpaths | reliability | all), results written as
// markdown, CSV, summary.json and SVG plots. See benchmarks/README.md. leak-check-target is not a scenario: it is the
// process the leak check's tests measure.
return args is [LeakCheckTarget.Command, ..]
    ? await LeakCheckTarget.RunAsync(args)
    : await BenchmarkApp.RunAsync(args);
