using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using CertLibrary.Data;
using Dapper;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>
/// The ASP.NET Core Data Protection key ring (antiforgery tokens, the second-factor ticket) kept in table
/// <c>identity_dataprotection_keys</c> of the shared database, so that every node of a deployment reads what another
/// node protected. Data Protection calls this synchronously and rarely (when it loads or rotates the key ring).
/// </summary>
internal sealed class DatabaseXmlRepository(ICertLibraryDatabase database, TimeProvider time) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.OpenConnectionAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return [.. connection.Query<string>("SELECT xml FROM identity_dataprotection_keys ORDER BY id").Select(XElement.Parse)];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = database.OpenConnectionAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        connection.Execute(
            "INSERT INTO identity_dataprotection_keys (friendly_name, xml, created_at) VALUES (@friendlyName, @xml, @now)",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting), now = time.GetUtcNow() });
    }

    /// <summary>Whether any key was stored yet.</summary>
    public async Task<bool> AnyAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM identity_dataprotection_keys", transaction: transaction, cancellationToken: cancellationToken)) > 0;
}

/// <summary>
/// Encrypts each Data Protection key element before it is stored: AES-256-GCM under a key derived (HKDF-SHA-256) from
/// the master key, so a database dump alone does not yield the keys that protect antiforgery tokens and tickets.
/// </summary>
internal sealed class MasterKeyXmlEncryptor(byte[] key) : IXmlEncryptor
{
    internal const string ElementName = "certlibEncryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var element = new XElement(ElementName,
            new XAttribute("alg", "A256GCM"),
            new XComment(" Data Protection key, AES-256-GCM with a key derived from CERTLIB_MASTER_KEY "),
            Convert.ToBase64String(DataProtectionKeyCipher.Seal(key, plaintext)));
        CryptographicOperations.ZeroMemory(plaintext);
        return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>Decrypts what <see cref="MasterKeyXmlEncryptor"/> wrote; Data Protection creates it by type name with the service provider.</summary>
internal sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var key = DataProtectionKeyCipher.DeriveKey(services.GetRequiredService<IOptions<CertLibraryDataOptions>>().Value.MasterKey);
        var plaintext = DataProtectionKeyCipher.Open(key, Convert.FromBase64String(encryptedElement.Value));
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

/// <summary>AES-256-GCM of one key element: version byte, 12-byte nonce, ciphertext, 16-byte tag.</summary>
internal static class DataProtectionKeyCipher
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] AssociatedData = "certlib data protection key ring"u8.ToArray();

    public static byte[] DeriveKey(byte[] masterKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, info: "certlib data protection keys v1"u8.ToArray());

    public static byte[] Seal(byte[] key, byte[] plaintext)
    {
        var output = new byte[1 + NonceSize + plaintext.Length + TagSize];
        output[0] = Version;
        RandomNumberGenerator.Fill(output.AsSpan(1, NonceSize));
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(output.AsSpan(1, NonceSize), plaintext, output.AsSpan(1 + NonceSize, plaintext.Length), output.AsSpan(output.Length - TagSize), AssociatedData);
        return output;
    }

    public static byte[] Open(byte[] key, byte[] sealedData)
    {
        if (sealedData.Length < 1 + NonceSize + TagSize || sealedData[0] != Version)
        {
            throw new CryptographicException("The Data Protection key element has an unknown format.");
        }

        var plaintext = new byte[sealedData.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedData.AsSpan(1, NonceSize), sealedData.AsSpan(1 + NonceSize, plaintext.Length), sealedData.AsSpan(sealedData.Length - TagSize), plaintext, AssociatedData);
        return plaintext;
    }
}

/// <summary>Points Data Protection at the database key ring and the master-key encryptor.</summary>
internal sealed class ConfigureDataProtectionKeys(DatabaseXmlRepository repository, IOptions<CertLibraryDataOptions> store) : IConfigureOptions<KeyManagementOptions>
{
    public void Configure(KeyManagementOptions options)
    {
        options.XmlRepository = repository;
        options.XmlEncryptor = new MasterKeyXmlEncryptor(DataProtectionKeyCipher.DeriveKey(store.Value.MasterKey));
    }
}
