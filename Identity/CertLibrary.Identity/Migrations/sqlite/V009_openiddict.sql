-- OpenIddict's stores (SPEC §9): applications, authorizations, tokens and scopes of its EF Core model, under this module's
-- names. Generated once with EF Core's GenerateCreateScript for this dialect and checked in: the project runs its own SQL
-- migrations, never EF migrations. An application row is written by ClientManager in the transaction that writes its
-- identity_clients row (same client id as Id). The hand-written codes and refresh tokens (identity_grants) are gone.
CREATE TABLE IF NOT EXISTS "identity_oidc_applications" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_identity_oidc_applications" PRIMARY KEY,
    "ApplicationType" TEXT NULL,
    "ClientId" TEXT NULL,
    "ClientSecret" TEXT NULL,
    "ClientType" TEXT NULL,
    "ConcurrencyToken" TEXT NULL,
    "ConsentType" TEXT NULL,
    "DisplayName" TEXT NULL,
    "DisplayNames" TEXT NULL,
    "JsonWebKeySet" TEXT NULL,
    "Permissions" TEXT NULL,
    "PostLogoutRedirectUris" TEXT NULL,
    "Properties" TEXT NULL,
    "RedirectUris" TEXT NULL,
    "Requirements" TEXT NULL,
    "Settings" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "identity_oidc_scopes" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_identity_oidc_scopes" PRIMARY KEY,
    "ConcurrencyToken" TEXT NULL,
    "Description" TEXT NULL,
    "Descriptions" TEXT NULL,
    "DisplayName" TEXT NULL,
    "DisplayNames" TEXT NULL,
    "Name" TEXT NULL,
    "Properties" TEXT NULL,
    "Resources" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "identity_oidc_authorizations" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_identity_oidc_authorizations" PRIMARY KEY,
    "ApplicationId" TEXT NULL,
    "ConcurrencyToken" TEXT NULL,
    "CreationDate" TEXT NULL,
    "Properties" TEXT NULL,
    "Scopes" TEXT NULL,
    "Status" TEXT NULL,
    "Subject" TEXT NULL,
    "Type" TEXT NULL,
    CONSTRAINT "FK_identity_oidc_authorizations_identity_oidc_applications_ApplicationId" FOREIGN KEY ("ApplicationId") REFERENCES "identity_oidc_applications" ("Id")
);
CREATE TABLE IF NOT EXISTS "identity_oidc_tokens" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_identity_oidc_tokens" PRIMARY KEY,
    "ApplicationId" TEXT NULL,
    "AuthorizationId" TEXT NULL,
    "ConcurrencyToken" TEXT NULL,
    "CreationDate" TEXT NULL,
    "ExpirationDate" TEXT NULL,
    "Payload" TEXT NULL,
    "Properties" TEXT NULL,
    "RedemptionDate" TEXT NULL,
    "ReferenceId" TEXT NULL,
    "Status" TEXT NULL,
    "Subject" TEXT NULL,
    "Type" TEXT NULL,
    CONSTRAINT "FK_identity_oidc_tokens_identity_oidc_applications_ApplicationId" FOREIGN KEY ("ApplicationId") REFERENCES "identity_oidc_applications" ("Id"),
    CONSTRAINT "FK_identity_oidc_tokens_identity_oidc_authorizations_AuthorizationId" FOREIGN KEY ("AuthorizationId") REFERENCES "identity_oidc_authorizations" ("Id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "IX_identity_oidc_applications_ClientId" ON "identity_oidc_applications" ("ClientId");
CREATE INDEX IF NOT EXISTS "IX_identity_oidc_authorizations_ApplicationId_Status_Subject_Type" ON "identity_oidc_authorizations" ("ApplicationId", "Status", "Subject", "Type");
CREATE UNIQUE INDEX IF NOT EXISTS "IX_identity_oidc_scopes_Name" ON "identity_oidc_scopes" ("Name");
CREATE INDEX IF NOT EXISTS "IX_identity_oidc_tokens_ApplicationId_Status_Subject_Type" ON "identity_oidc_tokens" ("ApplicationId", "Status", "Subject", "Type");
CREATE INDEX IF NOT EXISTS "IX_identity_oidc_tokens_AuthorizationId" ON "identity_oidc_tokens" ("AuthorizationId");
CREATE UNIQUE INDEX IF NOT EXISTS "IX_identity_oidc_tokens_ReferenceId" ON "identity_oidc_tokens" ("ReferenceId");
DROP TABLE IF EXISTS identity_grants;
