using CertLibrary.Api.Infrastructure;

namespace CertLibrary.Api.Apis;

/// <summary>The public verifier page (<c>/verify</c>): camera scan, photo upload or pasted text, decoded in the browser with jsQR.</summary>
public static class VerifierPageApi
{
    public static IEndpointRouteBuilder MapVerifierPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/verify", () => WebAssets.Serve("verify/index.html", "text/html; charset=utf-8"))
            .WithName("VerifierPage").WithTags("Verification").AllowAnonymous().ExcludeFromDescription()
            .WithSummary("Verifier web page").WithDescription("Scans a QR with the camera, or reads an uploaded photo or pasted text, and shows the result of POST /api/v1/verify.");
        app.MapGet("/verify/jsQR.js", () => WebAssets.Serve("lib/jsqr/jsQR.js", "text/javascript; charset=utf-8"))
            .WithName("VerifierPageScript").WithTags("Verification").AllowAnonymous().ExcludeFromDescription()
            .WithSummary("QR decoder of the verifier page").WithDescription("jsQR 1.4.0 (Apache-2.0), vendored.");
        return app;
    }
}
