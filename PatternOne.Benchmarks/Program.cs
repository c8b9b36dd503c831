using PatternOne.Benchmarks.Cli;

// PatternOne.Benchmarks: one command per scenario (scheduling | e2e | datapath | hotpaths | reliability | all), results written as
// markdown, CSV, summary.json and SVG plots. See benchmarks/README.md.
return await BenchmarkApp.RunAsync(args);
