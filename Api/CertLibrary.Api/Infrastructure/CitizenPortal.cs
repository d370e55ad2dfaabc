using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CertLibrary.Data;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// The citizen portal (<c>/portal</c>) as a confidential OpenID Connect client of the built-in provider, in the
/// backend-for-frontend shape: the server runs the authorization-code + PKCE flow and keeps the tokens in an
/// AES-GCM sealed, HttpOnly, SameSite=Strict cookie; the page's script never sees a token. Requests of the page to
/// <c>/api/v1/me/*</c> carry the cookie and the <see cref="RequestHeader"/> header, and get the access token as a bearer
/// token before authentication runs, so the API validates it like any other (issuer, audience, signature, lifetime).
/// Keys and the client secret derive from the master key, so every node of a deployment shares them without state.
/// </summary>
public sealed class CitizenPortal
{
    /// <summary>Client id of the portal at the identity provider.</summary>
    public const string ClientId = "certlib-portal";

    /// <summary>
    /// Header the page sends with every API call. A cross-site page cannot add it without a CORS preflight, which this
    /// host never grants: with SameSite=Strict it keeps the cookie from authorising forged requests.
    /// </summary>
    public const string RequestHeader = "X-CertLib-Portal";

    /// <summary>
    /// Scopes the portal asks for: the citizen API (read and manage; a first-party client, so without the consent screen),
    /// no <c>certlib.citizen_id</c>: the portal never needs the identity number in a token.
    /// </summary>
    public static readonly IReadOnlyList<string> Scopes =
        [IdentityConstants.OpenIdScope, IdentityConstants.ProfileScope, IdentityConstants.MeReadScope, IdentityConstants.MeManageScope];

    private static readonly TimeSpan AuthRequestLifetime = TimeSpan.FromMinutes(10);
    private readonly byte[] _sealKey;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<JwtBearerOptions> _bearer;

    public CitizenPortal(CertLibrarySettings settings, TimeProvider time, IOptionsMonitor<JwtBearerOptions> bearer)
    {
        _time = time;
        _bearer = bearer;
        Issuer = settings.Issuer;
        Secure = settings.Issuer.StartsWith("https:", StringComparison.Ordinal);
        ClientSecret = Base64Url.EncodeToString(HKDF.DeriveKey(HashAlgorithmName.SHA256, settings.MasterKey, 32, info: "certlib portal client secret v1"u8.ToArray()));
        _sealKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, settings.MasterKey, 32, info: "certlib portal cookies v1"u8.ToArray());
    }

    /// <summary>The provider's issuer, and the portal's own base URL.</summary>
    public string Issuer { get; }

    /// <summary>The registered redirect URI, matched exactly by the provider.</summary>
    public string RedirectUri => Issuer + "/portal/callback";

    /// <summary>Where the provider sends the browser after logout.</summary>
    public string PostLogoutRedirectUri => Issuer + "/portal/";

    /// <summary>Whether cookies are <c>Secure</c> (the public URL is https).</summary>
    public bool Secure { get; }

    /// <summary>Session cookie: <c>__Host-</c> prefixed on https, so no subdomain or path can shadow it.</summary>
    public string SessionCookie => Secure ? "__Host-certlib.portal" : "certlib.portal";

    /// <summary>Cookie holding state, nonce and PKCE verifier of a running sign-in; only sent to <c>/portal</c>.</summary>
    public string AuthRequestCookie => Secure ? "__Secure-certlib.portal.auth" : "certlib.portal.auth";

    internal string ClientSecret { get; }

    internal TimeProvider Time => _time;

    /// <summary>The provider's metadata and keys, as the API's JwtBearer fetched them (one back channel, one cache).</summary>
    internal async Task<(OpenIdConnectConfiguration Configuration, HttpClient Backchannel)> ProviderAsync(CancellationToken cancellationToken)
    {
        var options = _bearer.Get(JwtBearerDefaults.AuthenticationScheme);
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(cancellationToken);
        return (configuration, options.Backchannel);
    }

    /// <summary>Forgets cached provider keys (after a signature failed: the provider may have rotated its key).</summary>
    internal void RefreshProviderKeys() => _bearer.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager!.RequestRefresh();

    internal void WriteSession(HttpContext context, PortalSession session) =>
        context.Response.Cookies.Append(SessionCookie, Seal(session, "session"), new CookieOptions
        {
            HttpOnly = true,
            Secure = Secure,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });

    internal void DeleteSession(HttpContext context) =>
        context.Response.Cookies.Delete(SessionCookie, new CookieOptions { HttpOnly = true, Secure = Secure, SameSite = SameSiteMode.Strict, Path = "/" });

    /// <summary>The session of this request, or null (none, altered, or its access token expired).</summary>
    internal PortalSession? ReadSession(HttpContext context, bool allowExpired = false)
    {
        if (!context.Request.Cookies.TryGetValue(SessionCookie, out var value) || Unseal<PortalSession>(value, "session") is not { } session)
        {
            return null;
        }

        return allowExpired || session.ExpiresAt > _time.GetUtcNow().ToUnixTimeSeconds() ? session : null;
    }

    internal PortalAuthRequest StartAuthRequest(HttpContext context)
    {
        var request = new PortalAuthRequest(NewRandom(), NewRandom(), NewRandom(), (_time.GetUtcNow() + AuthRequestLifetime).ToUnixTimeSeconds());
        // Lax, not Strict: the browser comes back to the callback by a redirect from the provider's login page.
        context.Response.Cookies.Append(AuthRequestCookie, Seal(request, "auth"), new CookieOptions
        {
            HttpOnly = true,
            Secure = Secure,
            SameSite = SameSiteMode.Lax,
            Path = "/portal",
            IsEssential = true,
            MaxAge = AuthRequestLifetime,
        });
        return request;
    }

    /// <summary>The sign-in this browser started, consumed: a callback can be completed once.</summary>
    internal PortalAuthRequest? TakeAuthRequest(HttpContext context)
    {
        context.Response.Cookies.Delete(AuthRequestCookie, new CookieOptions { HttpOnly = true, Secure = Secure, SameSite = SameSiteMode.Lax, Path = "/portal" });
        return context.Request.Cookies.TryGetValue(AuthRequestCookie, out var value) && Unseal<PortalAuthRequest>(value, "auth") is { } request
            && request.ExpiresAt > _time.GetUtcNow().ToUnixTimeSeconds()
            ? request
            : null;
    }

    internal static string Challenge(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    internal static bool FixedTimeEquals(string? a, string b) =>
        a is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string NewRandom() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private string Seal<T>(T value, string purpose)
    {
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(value);
        var sealedBytes = new byte[12 + 16 + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_sealKey, 16);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), Encoding.ASCII.GetBytes(purpose));
        return Base64Url.EncodeToString(sealedBytes);
    }

    private T? Unseal<T>(string value, string purpose)
        where T : class
    {
        if (value.Length is 0 or > 8192)
        {
            return null;
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(value);
        }
        catch (FormatException)
        {
            return null;
        }

        if (sealedBytes.Length < 29)
        {
            return null;
        }

        var plaintext = new byte[sealedBytes.Length - 28];
        try
        {
            using var aes = new AesGcm(_sealKey, 16);
            aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plaintext, Encoding.ASCII.GetBytes(purpose));
            return JsonSerializer.Deserialize<T>(plaintext);
        }
        catch (Exception e) when (e is AuthenticationTagMismatchException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>What the session cookie seals: the tokens of one sign-in.</summary>
/// <param name="AccessToken">Access token for <c>/api/v1/me</c>.</param>
/// <param name="IdToken">ID token, the <c>id_token_hint</c> of the logout.</param>
/// <param name="ExpiresAt">Unix time after which the access token is not used any more.</param>
/// <param name="Name">The citizen's name (claim <c>name</c>), for the greeting.</param>
internal sealed record PortalSession(string AccessToken, string IdToken, long ExpiresAt, string? Name);

/// <summary>What the sign-in cookie seals between <c>/portal/login</c> and <c>/portal/callback</c>.</summary>
internal sealed record PortalAuthRequest(string State, string Nonce, string CodeVerifier, long ExpiresAt);

/// <summary>Turns the portal cookie into a bearer token for the page's calls to <c>/api/v1/me</c>.</summary>
internal sealed class PortalSessionStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var portal = app.ApplicationServices.GetRequiredService<CitizenPortal>();
        app.Use((context, nextMiddleware) =>
        {
            var request = context.Request;
            if (request.Path.StartsWithSegments("/api/v1/me", StringComparison.Ordinal) && request.Headers.Authorization.Count == 0
                && request.Headers[CitizenPortal.RequestHeader] == "1" && portal.ReadSession(context) is { } session)
            {
                request.Headers.Authorization = "Bearer " + session.AccessToken;
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}

/// <summary>Registers the portal at the provider at start-up: exact redirect URIs derived from <c>CERTLIB_ISSUER</c>.</summary>
internal sealed class PortalBootstrapper(IServiceProvider services, CitizenPortal portal) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Idempotent; independent of the order in which hosted services start.
        if (services.GetService<DatabaseMigrator>() is { } migrator)
        {
            await migrator.MigrateAsync(cancellationToken);
        }

        await services.GetRequiredService<ClientManager>().EnsureClientAsync(CitizenPortal.ClientId, portal.ClientSecret, "我的电子证照（市民门户）",
            CitizenPortal.Scopes, new ClientRegistrationOptions { RedirectUris = [portal.RedirectUri], PostLogoutRedirectUris = [portal.PostLogoutRedirectUri] },
            cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Registration of the citizen portal.</summary>
public static class CitizenPortalServiceCollectionExtensions
{
    /// <summary>Adds the portal's client registration, cookie sealing and the cookie-to-bearer step. Safe to call twice.</summary>
    public static IServiceCollection AddCitizenPortal(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(CitizenPortal)))
        {
            return services;
        }

        services.AddSingleton<CitizenPortal>();
        services.AddHostedService<PortalBootstrapper>();
        services.AddTransient<IStartupFilter, PortalSessionStartupFilter>();
        return services;
    }
}
