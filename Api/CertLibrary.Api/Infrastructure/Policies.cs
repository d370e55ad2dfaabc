namespace CertLibrary.Api.Infrastructure;

/// <summary>Authorization policy names (scopes from SPEC §8).</summary>
public static class Policies
{
    public const string Admin = "admin";
    public const string Issue = "issue";
    public const string Read = "read";
    public const string Verify = "verify";
}
