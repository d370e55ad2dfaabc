namespace CertLibrary.Api.Infrastructure;

/// <summary>Authorization policy names (scopes from SPEC §8).</summary>
public static class Policies
{
    public const string Admin = "admin";
    public const string Issue = "issue";
    public const string Read = "read";
    public const string Verify = "verify";

    /// <summary>Reads of the signed-in citizen's own data (<c>GET /api/v1/me/*</c>): scope <c>certlib.me.read</c>.</summary>
    public const string MeRead = "me.read";

    /// <summary>Changes to the signed-in citizen's own data (writes under <c>/api/v1/me</c>): scope <c>certlib.me.manage</c>.</summary>
    public const string MeManage = "me.manage";
}
