using CertLibrary.Data;
using Dapper;

namespace CertLibrary.CertStore.OnlineVerification;

/// <summary>
/// The holder binding of each certificate's format-2 offline QR (salt and binding, 12 bytes each; not secret given
/// the salt, so stored as is). Created once, at the first offline QR; concurrent first renderings keep the first write.
/// </summary>
public sealed class QrHolderBindingStore(ICertLibraryDatabase database, TimeProvider time)
{
    /// <summary>Returns the stored binding of <paramref name="certificateId"/>, computing and storing it with <paramref name="create"/> when there is none.</summary>
    public async Task<(byte[] Salt, byte[] Binding)> GetOrCreateAsync(string certificateId, Func<(byte[] Salt, byte[] Binding)> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (await FindAsync(certificateId, cancellationToken) is { } found)
        {
            return found;
        }

        var (salt, binding) = create();
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO qr_holder_bindings (certificate_id, salt, binding, created_at) VALUES (@certificateId, @salt, @binding, @now) ON CONFLICT (certificate_id) DO NOTHING",
                new { certificateId, salt, binding, now = time.GetUtcNow().ToUnixTimeSeconds() }, cancellationToken: cancellationToken));
        }

        return await FindAsync(certificateId, cancellationToken) ?? (salt, binding);
    }

    private async Task<(byte[] Salt, byte[] Binding)?> FindAsync(string certificateId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<(byte[] Salt, byte[] Binding)?>(new CommandDefinition(
            "SELECT salt, binding FROM qr_holder_bindings WHERE certificate_id = @certificateId", new { certificateId }, cancellationToken: cancellationToken));
    }
}
