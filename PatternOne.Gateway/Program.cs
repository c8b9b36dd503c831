var builder = WebApplication.CreateBuilder(args);

builder.AddBasicServiceDefaults();
builder.AddGateway();

var app = builder.Build();

app.MapGateway();

app.Run();
