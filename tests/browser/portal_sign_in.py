"""The portal's sign-in as the browser tests go through it: a customer administrator opens ``target``,
lands on the sign-in page, and is sent back to ``target`` (the factories' password)."""


def sign_in(page, base: str, username: str, target: str) -> None:
    page.goto(base + target)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
