use super::*;

const ALICE: u32 = 1001;
const BOB: u32 = 1002;

fn at_console(user: u32, locked: bool) -> Console {
    Console::Active { user, locked }
}

#[test]
fn only_the_active_unlocked_user_is_served() {
    let alice = Caller::User(ALICE);
    assert_eq!(admits(alice, at_console(ALICE, false), false), Ok(()));
    assert_eq!(
        admits(alice, at_console(ALICE, true), false),
        Err(Refusal::SessionLocked)
    );
    for console in [
        at_console(BOB, false),
        at_console(BOB, true),
        Console::Vacant,
    ] {
        assert_eq!(
            admits(alice, console, true),
            Err(Refusal::NotLocalSession),
            "{console:?}"
        );
    }
    // Root and the service's own account can read the key: a lock protects nothing.
    assert_eq!(
        admits(Caller::Privileged, at_console(BOB, true), false),
        Ok(())
    );
}

#[test]
fn without_a_session_manager_only_root_unless_configured() {
    let alice = Caller::User(ALICE);
    assert_eq!(
        admits(alice, Console::Unmanaged, false),
        Err(Refusal::NotLocalSession)
    );
    assert_eq!(admits(alice, Console::Unmanaged, true), Ok(()));
    assert_eq!(
        admits(Caller::Privileged, Console::Unmanaged, false),
        Ok(())
    );
}

#[test]
fn an_insertion_is_its_unlocked_owners_only() {
    assert_eq!(at_console(ALICE, false).owner(), Owner::User(ALICE));
    assert_eq!(at_console(ALICE, true).owner(), Owner::Nobody);
    assert_eq!(Console::Vacant.owner(), Owner::Nobody);
    assert_eq!(Console::Unmanaged.owner(), Owner::AnyLocalUser);

    let (alice, bob) = (Caller::User(ALICE), Caller::User(BOB));
    let now_bob = at_console(BOB, false);
    assert_eq!(may_take(bob, Owner::User(BOB), now_bob, false), Ok(()));
    // Alice's login left running while Bob is at the console: Bob's card is not hers.
    assert_eq!(
        may_take(alice, Owner::User(BOB), now_bob, false),
        Err(Refusal::NotLocalSession)
    );
    // Alice locked her screen with a login running: refused, whoever's card it is.
    let alice_locked = at_console(ALICE, true);
    for owner in [Owner::User(ALICE), Owner::Nobody] {
        assert_eq!(
            may_take(alice, owner, alice_locked, false),
            Err(Refusal::SessionLocked)
        );
    }
    // A card put in at the lock screen is nobody's, even once Alice unlocks.
    assert_eq!(
        may_take(alice, Owner::Nobody, at_console(ALICE, false), false),
        Err(Refusal::SessionLocked)
    );
    // Bob's insertion, Bob now locked: refused.
    assert_eq!(
        may_take(bob, Owner::User(BOB), at_console(BOB, true), false),
        Err(Refusal::SessionLocked)
    );
    // Without a session manager, any_local_user: any insertion made then.
    assert_eq!(
        may_take(alice, Owner::AnyLocalUser, Console::Unmanaged, true),
        Ok(())
    );
    assert_eq!(
        may_take(alice, Owner::AnyLocalUser, now_bob, true),
        Err(Refusal::NotLocalSession)
    );
    assert_eq!(
        may_take(Caller::Privileged, Owner::Nobody, alice_locked, false),
        Ok(())
    );
}
