var builder = WebApplication.CreateBuilder(args);
builder.AddBasicServiceDefaults();
var app = builder.Build();
app.MapGet("/health", () => Results.Ok());
app.Run();
