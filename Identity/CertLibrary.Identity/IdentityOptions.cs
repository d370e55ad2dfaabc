namespace CertLibrary.Identity;

/// <summary>Options of the OpenID Connect provider, bound from configuration section <c>Identity</c> and the <c>CERTLIB_*</c> variables.</summary>
public sealed class IdentityOptions
{
    /// <summary>
    /// Issuer URL (<c>CERTLIB_ISSUER</c> or <c>Identity:Issuer</c>), exactly the <c>iss</c> of every token. When unset it is
    /// derived from each request's scheme, host and path base (put <c>UseForwardedHeaders</c> in front behind a proxy).
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Audience of access tokens for the CertLibrary API.</summary>
    public string Audience { get; set; } = IdentityConstants.ApiAudience;

    /// <summary>Lifetime of access tokens (RFC 9068 JWTs).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a node reuses its answer to "was this access token revoked, or its client deleted?" before asking the
    /// database again (<see cref="AccessTokenRevocation"/>). The node that revokes refuses the token at once; other nodes
    /// within this interval. Zero asks the database on every request. At most 5 minutes.
    /// </summary>
    public TimeSpan RevocationCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Lifetime of ID tokens.</summary>
    public TimeSpan IdentityTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Lifetime of authorization codes (RFC 9700 recommends a short one; at most 60 s).</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Sliding lifetime of one refresh token; each use rotates it.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Window in which a just-rotated refresh token may be presented again by a concurrent request.</summary>
    public TimeSpan RefreshTokenReuseGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Lifetime of the SSO session cookie.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long one signing key signs before its successor takes over.</summary>
    public TimeSpan SigningKeyLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a new key is published in JWKS before it signs anything (relying parties cache JWKS).</summary>
    public TimeSpan SigningKeyAnnouncePeriod { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Failed logins per account, within <see cref="LockoutWindow"/>, that lock it.</summary>
    public int LockoutThreshold { get; set; } = 5;

    /// <summary>Window counting failures, and the lockout duration.</summary>
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Login attempts allowed per client IP address and minute.</summary>
    public int LoginAttemptsPerIpPerMinute { get; set; } = 30;

    /// <summary>Timeout of one back-channel logout request to a portal.</summary>
    public TimeSpan BackChannelLogoutTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per portal when a back-channel logout fails (network error, timeout, 5xx, 408, 429).</summary>
    public int BackChannelLogoutAttempts { get; set; } = 3;

    /// <summary>Wait before the first retry of a back-channel logout; doubled for each further one.</summary>
    public TimeSpan BackChannelLogoutRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each node looks for due back-channel logouts queued by other nodes (its own wake it at once).</summary>
    public TimeSpan BackChannelLogoutPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Administrator client to create at start-up (<c>CERTLIB_ADMIN_CLIENT_ID</c>).</summary>
    public string? AdminClientId { get; set; }

    /// <summary>Its secret (<c>CERTLIB_ADMIN_CLIENT_SECRET</c>).</summary>
    public string? AdminClientSecret { get; set; }
}
