using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity;

/// <summary>Authenticates the client of a back-channel request: <c>client_secret_basic</c> or <c>client_secret_post</c>, never both.</summary>
internal sealed class ClientAuthenticator(ClientManager clients)
{
    public Task<(IdentityClient? Client, IResult? Error)> AuthenticateAsync(HttpContext context, IFormCollection form, CancellationToken cancellationToken) =>
        AuthenticateAsync(context, form, allowPublic: false, cancellationToken);

    /// <summary>
    /// As above; with <paramref name="allowPublic"/> a public client may also identify itself by <c>client_id</c> alone
    /// (<c>token_endpoint_auth_method</c> <c>none</c>, RFC 6749 §2.1: PKCE protects its codes). A confidential client
    /// never can.
    /// </summary>
    public async Task<(IdentityClient? Client, IResult? Error)> AuthenticateAsync(
        HttpContext context, IFormCollection form, bool allowPublic, CancellationToken cancellationToken)
    {
        if (allowPublic && context.Request.Headers.Authorization.Count == 0 && !form.ContainsKey("client_secret")
            && form["client_id"].ToString() is { Length: > 0 } publicId)
        {
            var found = await clients.FindAsync(publicId, cancellationToken);
            return found is { IsPublic: true }
                ? (found, null)
                : (null, OAuthErrors.Error(context, OAuthErrors.InvalidClient, "Client authentication failed."));
        }

        string? clientId = null;
        string? secret = null;
        var authorization = context.Request.Headers.Authorization.ToString();
        var posted = form.ContainsKey("client_secret");
        if (authorization.Length > 0)
        {
            if (posted)
            {
                return (null, OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "Use one client authentication method only."));
            }

            if (!AuthenticationHeaderValue.TryParse(authorization, out var header) || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
                || !TryDecodeBasic(header.Parameter, out clientId, out secret))
            {
                return (null, OAuthErrors.Error(context, OAuthErrors.InvalidClient, "Client authentication failed."));
            }

            if (form.TryGetValue("client_id", out var bodyId) && bodyId.ToString() != clientId)
            {
                return (null, OAuthErrors.Error(context, OAuthErrors.InvalidRequest, "client_id does not match the authenticated client."));
            }
        }
        else if (posted)
        {
            clientId = form["client_id"].ToString();
            secret = form["client_secret"].ToString();
        }

        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
        {
            return (null, OAuthErrors.Error(context, OAuthErrors.InvalidClient, "Client authentication failed."));
        }

        var client = await clients.AuthenticateAsync(clientId, secret, cancellationToken);
        return client is null
            ? (null, OAuthErrors.Error(context, OAuthErrors.InvalidClient, "Client authentication failed."))
            : (client, null);
    }

    private static bool TryDecodeBasic(string? parameter, out string? clientId, out string? secret)
    {
        clientId = secret = null;
        if (string.IsNullOrEmpty(parameter))
        {
            return false;
        }

        Span<byte> buffer = new byte[parameter.Length];
        if (!Convert.TryFromBase64String(parameter, buffer, out var written))
        {
            return false;
        }

        var decoded = Encoding.UTF8.GetString(buffer[..written]);
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        // RFC 6749 §2.3.1: both parts are form-url-encoded before being joined.
        clientId = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
        secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
        return true;
    }
}
