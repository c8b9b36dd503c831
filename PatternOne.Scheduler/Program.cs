using PatternOne.Scheduler;

var builder = WebApplication.CreateBuilder(args);
builder.AddBasicServiceDefaults();
builder.AddScheduler();

var app = builder.Build();
app.MapScheduler();
app.Run();
