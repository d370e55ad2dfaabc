namespace CertLibrary.PortalSample;

/// <summary>One portal's settings (section <c>Portal</c>, e.g. <c>Portal__ClientId</c> in the environment).</summary>
public sealed class PortalOptions
{
    /// <summary>Name shown in the page title, e.g. 社会保障服务门户.</summary>
    public string Name { get; set; } = "政务服务门户";

    /// <summary>Issuer URL of the CertLibrary identity provider; discovery is read from it.</summary>
    public string Authority { get; set; } = "http://localhost:5000";

    /// <summary>Client id registered at the provider.</summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>Client secret (client_secret_basic).</summary>
    public string ClientSecret { get; set; } = string.Empty;

    /// <summary>Scopes requested at sign-in.</summary>
    public string Scope { get; set; } = "openid profile";

    /// <summary>
    /// Public base URL of this portal (e.g. <c>https://shebao.example.gov.cn</c>); the redirect, post-logout and
    /// back-channel URIs registered at the provider are derived from it. Null: derived from each request.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>Lifetime of the portal's own session (sliding).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
