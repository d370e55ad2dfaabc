using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>
/// The issuer identifier: the configured one, or <c>scheme://host/pathbase</c> of the request (after
/// <c>UseForwardedHeaders</c> applied the proxy's headers). Never ends with a slash, so <c>iss</c>, discovery and
/// every endpoint URL agree byte for byte.
/// </summary>
internal sealed class IssuerResolver(IOptions<IdentityOptions> options)
{
    public string GetIssuer(HttpContext context)
    {
        var configured = options.Value.Issuer;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.TrimEnd('/');
        }

        var request = context.Request;
        return $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}".TrimEnd('/');
    }
}
