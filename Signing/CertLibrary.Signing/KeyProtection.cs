using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace CertLibrary.Signing;

/// <summary>Encrypts private keys at rest, bound to their key identifier.</summary>
public interface IKeyProtector
{
    /// <summary>Encrypts <paramref name="plaintext"/> bound to <paramref name="keyId"/>.</summary>
    byte[] Protect(ReadOnlySpan<byte> plaintext, string keyId);

    /// <summary>Decrypts data produced by <see cref="Protect"/> for the same <paramref name="keyId"/>.</summary>
    /// <exception cref="CryptographicException">The data was tampered with, belongs to another key, or was made with another master key.</exception>
    byte[] Unprotect(ReadOnlySpan<byte> protectedData, string keyId);
}

/// <summary>
/// AES-256-GCM with the configured master key. Output: version byte ‖ 12-byte nonce ‖ ciphertext ‖ 16-byte tag;
/// the associated data is the UTF-8 <c>kid</c>, so a ciphertext moved to another key record fails to decrypt.
/// </summary>
internal sealed class AesGcmKeyProtector : IKeyProtector, IDisposable
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly AesGcm _aes;

    public AesGcmKeyProtector(IOptions<SigningOptions> options)
        : this(DecodeMasterKey(options.Value.MasterKey))
    {
    }

    internal AesGcmKeyProtector(ReadOnlySpan<byte> masterKey)
    {
        if (masterKey.Length != 32)
        {
            throw new ArgumentException("The master key must be 32 bytes.", nameof(masterKey));
        }

        _aes = new AesGcm(masterKey, TagSize);
    }

    public byte[] Protect(ReadOnlySpan<byte> plaintext, string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var output = new byte[1 + NonceSize + plaintext.Length + TagSize];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(
            nonce,
            plaintext,
            output.AsSpan(1 + NonceSize, plaintext.Length),
            output.AsSpan(1 + NonceSize + plaintext.Length, TagSize),
            Encoding.UTF8.GetBytes(keyId));
        return output;
    }

    public byte[] Unprotect(ReadOnlySpan<byte> protectedData, string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (protectedData.Length < 1 + NonceSize + TagSize || protectedData[0] != Version)
        {
            throw new CryptographicException("The protected key has an unknown format.");
        }

        var ciphertextLength = protectedData.Length - 1 - NonceSize - TagSize;
        var plaintext = new byte[ciphertextLength];
        _aes.Decrypt(
            protectedData.Slice(1, NonceSize),
            protectedData.Slice(1 + NonceSize, ciphertextLength),
            protectedData[^TagSize..],
            plaintext,
            Encoding.UTF8.GetBytes(keyId));
        return plaintext;
    }

    public void Dispose() => _aes.Dispose();

    private static byte[] DecodeMasterKey(string? value) =>
        SigningOptions.TryDecodeMasterKey(value, out var key)
            ? key
            : throw new OptionsValidationException(
                nameof(SigningOptions),
                typeof(SigningOptions),
                [$"{SigningOptions.MasterKeySettingName} must be base64 of exactly 32 bytes."]);
}
