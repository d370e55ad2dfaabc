using CertLibrary.Api.Apis;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Identity;

var builder = WebApplication.CreateBuilder(args);
builder.AddCertLibrary();
builder.Services.AddCertLibraryIdentity(builder.Configuration);
builder.Services.AddVerificationApi();
builder.Services.AddCertificatePdf(builder.Configuration);
builder.Services.AddCitizenPortal();

var app = builder.Build();
app.UseCertLibrary();
app.MapCertificatesApi();
app.MapAdminApi();
app.MapAdminAccessApi();
app.MapTransparencyLogApi();
app.MapServiceItemsApi();
app.MapHoldersApi();
app.MapMeApi();
app.MapMeCertificatesApi();
app.MapMeOrganizationsApi();
app.MapOrganizationsApi();
app.MapTrustListApi();
app.MapQrApi();
app.MapCertificatePdfApi();
app.MapVerifyApi();
app.MapVerifierPage();
app.MapCitizenPortal();
app.MapHealth();
app.MapCertLibraryIdentity();

await app.RunCertLibraryAsync(args);

/// <summary>Entry point, public so that tests can host it through WebApplicationFactory.</summary>
public partial class Program;
