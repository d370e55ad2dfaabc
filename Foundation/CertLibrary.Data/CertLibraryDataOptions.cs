namespace CertLibrary.Data;

/// <summary>Options of the shared data layer (every store: certificates, identity, keys, log).</summary>
public sealed class CertLibraryDataOptions
{
    /// <summary>
    /// 32-byte master key (from <c>CERTLIB_MASTER_KEY</c>, base64). The holder index, sealed personal data and
    /// signing keys are all derived from it: losing it loses the data, so back it up with the database.
    /// </summary>
    public byte[] MasterKey { get; set; } = [];
}
