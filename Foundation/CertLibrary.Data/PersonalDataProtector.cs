using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CertLibrary.Identifiers;

namespace CertLibrary.Data;

/// <summary>
/// Keeps identity numbers out of the database in clear (SPEC §2): the holder index is an HMAC-SHA-256 of the
/// normalised number, and personal documents are sealed with AES-256-GCM. Both keys are derived (HKDF) from the
/// configured master key, so one secret is backed up and rotated.
/// </summary>
public sealed class PersonalDataProtector
{
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _indexKey;
    private readonly byte[] _sealKey;

    /// <summary>Derives the index and sealing keys from a 32-byte master key.</summary>
    public PersonalDataProtector(byte[] masterKey)
    {
        if (masterKey is not { Length: 32 })
        {
            throw new ArgumentException("The master key must be 32 bytes.", nameof(masterKey));
        }

        _indexKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, info: "certlib holder index v1"u8.ToArray());
        _sealKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, info: "certlib personal data v1"u8.ToArray());
    }

    /// <summary>The holder key: base64url(HMAC-SHA-256(index key, normalised identity number)).</summary>
    public string HolderKey(CitizenId id)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_indexKey, Encoding.ASCII.GetBytes(id.ToString()), mac);
        return Base64Url.EncodeToString(mac);
    }

    /// <summary>
    /// The holder key of an organisation: base64url(HMAC-SHA-256(index key, <c>"001:"</c> + credit code)). The national
    /// holder-code type <c>001</c> keeps it apart from every citizen's key (whose input is the bare 18-character number,
    /// unchanged since v1 so that no stored row is re-keyed): the index is keyed by kind + code.
    /// </summary>
    public string HolderKey(CreditCode organization)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_indexKey, Encoding.ASCII.GetBytes("001:" + organization.ToString()), mac);
        return Base64Url.EncodeToString(mac);
    }

    /// <summary>Seals <paramref name="plaintext"/>; <paramref name="associatedData"/> binds it to its row.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[1 + NonceSize + plaintext.Length + TagSize];
        output[0] = FormatVersion;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_sealKey, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize, plaintext.Length), output.AsSpan(output.Length - TagSize), Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    /// <summary>Opens a sealed value; throws <see cref="CryptographicException"/> when it was altered or moved to another row.</summary>
    public byte[] Open(ReadOnlySpan<byte> sealedData, string associatedData)
    {
        if (sealedData.Length < 1 + NonceSize + TagSize || sealedData[0] != FormatVersion)
        {
            throw new CryptographicException("Sealed data has an unknown format.");
        }

        var plaintext = new byte[sealedData.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(_sealKey, TagSize);
        aes.Decrypt(sealedData.Slice(1, NonceSize), sealedData.Slice(1 + NonceSize, plaintext.Length), sealedData[^TagSize..], plaintext, Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }
}
