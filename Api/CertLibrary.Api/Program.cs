using CertLibrary.Identity;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddCertLibraryIdentity(builder.Configuration);
var app = builder.Build();
app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
app.MapCertLibraryIdentity();
app.Run();

/// <summary>Entry point, public so that tests can host it through WebApplicationFactory.</summary>
public partial class Program;
