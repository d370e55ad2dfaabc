using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.CertStore;
using CertLibrary.CertStore.Model;

namespace CertLibrary.Api.Apis;

/// <summary>The certificate as the API returns it (SPEC §3): the signed payload's members, then status, reason and signature.</summary>
public static class CertificateDto
{
    public static JsonObject From(Certificate certificate)
    {
        var json = JsonSerializer.SerializeToNode(certificate.Payload, CertificateManager.JsonOptions)!.AsObject();
        json["status"] = certificate.Status;
        json["statusReason"] = certificate.StatusReason;
        if (certificate.SupersededBy is not null)
        {
            json["supersededBy"] = certificate.SupersededBy;
        }

        json["signature"] = certificate.Signature.DeepClone();
        return json;
    }
}
