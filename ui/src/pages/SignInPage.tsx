import { useState } from "preact/hooks";
import { signIn } from "../api/session";

/** Multi-user mode without a sign-in proxy: the user pastes their API token (sluice admin users create). */
export function SignInPage({ onSignedIn, failed }: { onSignedIn(): void; failed?: boolean }) {
  const [token, setToken] = useState("");
  return (
    <main class="sign-in" id="main">
      <form
        aria-label="Sign in"
        onSubmit={(event) => {
          event.preventDefault();
          if (!token.trim()) return;
          signIn(token.trim());
          onSignedIn();
        }}
      >
        <h1>
          <span class="brand-mark" aria-hidden="true">≋</span> Sign in to Sluice
        </h1>
        <p class="muted">
          Paste your API token. An admin makes one with <code>sluice admin users create NAME</code> or{" "}
          <code>sluice admin tokens create NAME</code>.
        </p>
        {failed ? <p role="alert" class="error">That token was refused (unknown, revoked or expired).</p> : null}
        <label>
          API token
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            value={token}
            onInput={(event) => setToken((event.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
