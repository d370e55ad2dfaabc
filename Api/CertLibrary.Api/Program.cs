using CertLibrary.Api.Apis;
using CertLibrary.Api.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddCertLibrary();

var app = builder.Build();
app.UseCertLibrary();
app.MapCertificatesApi();
app.MapAdminApi();
app.MapHealth();

await app.RunCertLibraryAsync(args);

/// <summary>Entry point, public so that tests can host it through WebApplicationFactory.</summary>
public partial class Program;
