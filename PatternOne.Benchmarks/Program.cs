Console.WriteLine("PatternOne benchmarks: not yet implemented.");
return 1;
