using Microsoft.Extensions.Options;

namespace CertLibrary.Signing;

/// <summary>Options of the signing services.</summary>
public sealed class SigningOptions
{
    /// <summary>Name of the setting (environment variable) that carries <see cref="MasterKey"/>.</summary>
    public const string MasterKeySettingName = "CERTLIB_MASTER_KEY";

    /// <summary>
    /// Base64 of the 32-byte AES-256 master key that encrypts private signing keys at rest.
    /// Set from <c>CERTLIB_MASTER_KEY</c>; generate one with <c>openssl rand -base64 32</c>.
    /// </summary>
    public string? MasterKey { get; set; }

    internal static bool TryDecodeMasterKey(string? value, out byte[] key)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var buffer = new byte[48];
        if (!Convert.TryFromBase64String(value.Trim(), buffer, out var written) || written != 32)
        {
            return false;
        }

        key = buffer[..32];
        return true;
    }
}

/// <summary>Validates <see cref="SigningOptions"/> at start-up.</summary>
internal sealed class SigningOptionsValidator : IValidateOptions<SigningOptions>
{
    public ValidateOptionsResult Validate(string? name, SigningOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.MasterKey))
        {
            return ValidateOptionsResult.Fail(
                $"{SigningOptions.MasterKeySettingName} is not set: signing keys are encrypted at rest with it. " +
                "Set it to base64 of 32 random bytes (openssl rand -base64 32).");
        }

        return SigningOptions.TryDecodeMasterKey(options.MasterKey, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{SigningOptions.MasterKeySettingName} must be base64 of exactly 32 bytes (openssl rand -base64 32).");
    }
}
