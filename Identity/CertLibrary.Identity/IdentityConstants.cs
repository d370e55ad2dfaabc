namespace CertLibrary.Identity;

/// <summary>Scope names, audience and protocol constants of the provider.</summary>
public static class IdentityConstants
{
    /// <summary>Audience (<c>aud</c>) of access tokens for the CertLibrary API.</summary>
    public const string ApiAudience = "certlib-api";

    /// <summary>Administration of types, departments, clients and keys.</summary>
    public const string AdminScope = "certlib.admin";

    /// <summary>Issue and manage the department's own certificates.</summary>
    public const string IssueScope = "certlib.issue";

    /// <summary>One-number lookup and reads.</summary>
    public const string UseScope = "certlib.use";

    /// <summary>Verification.</summary>
    public const string VerifyScope = "certlib.verify";

    /// <summary>Releases the citizen's identity number as claim <c>citizen_id</c>.</summary>
    public const string CitizenIdScope = "certlib.citizen_id";

    /// <summary>The signed-in citizen's own data at <c>/api/v1/me/*</c>, read only (certificates, settings, consents, access log).</summary>
    public const string MeReadScope = "certlib.me.read";

    /// <summary>Changes to the signed-in citizen's own data at <c>/api/v1/me/*</c> (settings, consents, authorized clients).</summary>
    public const string MeManageScope = "certlib.me.manage";

    /// <summary>OpenID Connect.</summary>
    public const string OpenIdScope = "openid";

    /// <summary>Name claim.</summary>
    public const string ProfileScope = "profile";

    /// <summary>Refresh tokens for interactive clients.</summary>
    public const string OfflineAccessScope = "offline_access";

    /// <summary>Claim holding the department's credit code in client-credentials tokens.</summary>
    public const string DepartmentClaim = "department";

    /// <summary>Claim holding the identity number (only with <see cref="CitizenIdScope"/>).</summary>
    public const string CitizenIdClaim = "citizen_id";

    /// <summary>JWT <c>typ</c> of access tokens (RFC 9068).</summary>
    public const string AccessTokenType = "at+jwt";

    /// <summary>JWT <c>typ</c> of logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4).</summary>
    public const string LogoutTokenType = "logout+jwt";

    /// <summary>The member of a logout token's <c>events</c> claim that makes it a logout token.</summary>
    public const string BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

    /// <summary>Authentication context: password only.</summary>
    public const string AcrPassword = "urn:certlib:acr:pwd";

    /// <summary>Authentication context: password and TOTP.</summary>
    public const string AcrMultiFactor = "urn:certlib:acr:mfa";

    /// <summary>Every scope the provider knows.</summary>
    public static IReadOnlyList<string> AllScopes { get; } =
        [OpenIdScope, ProfileScope, OfflineAccessScope, AdminScope, IssueScope, UseScope, VerifyScope, CitizenIdScope, MeReadScope, MeManageScope];

    /// <summary>Scopes a department (client-credentials) token may carry.</summary>
    public static IReadOnlyList<string> ApiScopes { get; } = [AdminScope, IssueScope, UseScope, VerifyScope];

    /// <summary>
    /// Scopes a client that is not first-party receives only after the citizen approved them on the consent screen of
    /// <c>/connect/authorize</c> (remembered per citizen and client until revoked).
    /// </summary>
    public static IReadOnlyList<string> ConsentScopes { get; } = [MeReadScope, MeManageScope];
}
