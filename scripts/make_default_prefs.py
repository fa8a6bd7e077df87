#!/usr/bin/env python3
"""Generate the embedded default preference set ``rlhf_rm/resources/default_prefs.jsonl``.

The set is a small English + Chinese dialogue preference set in TRL's explicit
conversational preference format::

    {"prompt": [{"role": "user", "content": ...}, ...],
     "chosen": [{"role": "assistant", "content": ...}],
     "rejected": [{"role": "assistant", "content": ...}],
     "lang": "en" | "zh", "category": "..."}

Everything below (questions, replies, failure templates) is hand-written for this
package; no existing data set's text is copied.  Every item is a question with a
helpful, specific, correct reply.  Each output pair combines the item with one
failure mode for the rejected reply:

* ``wrong``     - confident but factually wrong / bad advice (hand-written per item)
* ``off_topic`` - a good reply to a *different* question
* ``rude``      - dismissive or insulting (sometimes rude *and* correct)
* ``vague``     - non-committal filler that mentions the topic but says nothing
* ``echo``      - repeats the question back
* ``refusal``   - refuses a harmless request
* ``unsafe``    - complies with a harmful request (for harmful prompts the chosen
                  reply is a polite refusal with a safe alternative)

Length is controlled so that "the longer reply wins" is close to 50% overall, per
language and per failure mode: for every pair a target (chosen longer / shorter)
is assigned in alternation inside each (language, failure mode) group, and reply
variants (with or without an extra helpful sentence, neutral closers, short or
long failure templates) are picked to meet it.

The script is deterministic (fixed seed).  Usage::

    python scripts/make_default_prefs.py            # writes the JSONL, prints stats
    python scripts/make_default_prefs.py --check    # also run the MiniLM + logistic
                                                    # regression learnability check
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SEED = 1234
EN_TARGET = 600
ZH_TARGET = 150
MULTI_TURN_FRACTION = 0.12  # generic context lead-ins on top of the hand-written follow-ups

REPO = Path(__file__).resolve().parents[1]
OUT_PATH = REPO / "rlhf_rm" / "resources" / "default_prefs.jsonl"


@dataclass
class Item:
    lang: str
    category: str
    question: str
    topic: str
    good: str
    extra: str = ""
    wrong: str = ""
    unsafe: str = ""
    harmful: bool = False
    edgy: bool = False  # harmless request that sounds edgy: a natural over-refusal target
    modes: tuple = ()  # explicit allowed failure modes (overrides the default)
    context: tuple = ()  # ((user, assistant), ...) turns before the question
    key: str = field(default="", repr=False)


def rows(lang, category, table, **kw):
    """Build Items from (question, topic, good, extra, wrong) tuples."""
    out = []
    for r in table:
        q, topic, good, extra, wrong = (list(r) + ["", ""])[:5]
        out.append(Item(lang, category, q, topic, good, extra, wrong, **kw))
    return out


# ---------------------------------------------------------------------------
# English items
# ---------------------------------------------------------------------------

EN_COOKING = [
    ("How long should I boil eggs if I want the yolks fully set but not chalky?", "hard-boiling eggs",
     "Lower the eggs into already-boiling water for about 10-11 minutes, then move them straight into ice water for a few minutes.",
     "The cold bath stops the cooking, which prevents the grey-green ring around the yolk and makes them easier to peel.",
     "Boil them for about 25 minutes to be safe; the longer they cook, the creamier the yolk gets."),
    ("What internal temperature means chicken breast is safely cooked?", "cooking chicken breast",
     "Chicken is safe once the thickest part reaches 74°C (165°F) on an instant-read thermometer.",
     "Taking it off a couple of degrees early and resting it for five minutes keeps it juicier while it still reaches a safe temperature.",
     "Chicken is done at around 50°C (120°F); a little pink in the middle is fine, just like a rare steak."),
    ("My rice always turns out mushy. How do I cook fluffy long-grain rice on the stove?", "cooking fluffy rice",
     "Rinse the rice until the water runs mostly clear, use about 1.5 cups of water per cup of long-grain rice, simmer covered on low for 15-18 minutes, then let it sit off the heat for 10 minutes before fluffing.",
     "Avoid lifting the lid or stirring while it simmers, since that lets steam escape and breaks the grains.",
     "Use four cups of water per cup of rice and stir it constantly at a hard boil; that's what makes rice fluffy."),
    ("Can I substitute baking soda for baking powder in pancakes?", "swapping baking soda for baking powder",
     "Not one-for-one: baking soda needs an acid to work, so use about a quarter of the amount and add something acidic like buttermilk, yogurt or a little lemon juice.",
     "Roughly 1/4 teaspoon of soda plus buttermilk in place of the milk replaces each teaspoon of baking powder.",
     "Yes, just swap them one-for-one; baking soda and baking powder are the same thing sold under different names."),
    ("What can I use instead of eggs when baking muffins for a vegan friend?", "egg substitutes in vegan muffins",
     "A flax egg works well: mix 1 tablespoon of ground flaxseed with 3 tablespoons of water per egg and let it thicken for five minutes.",
     "Mashed banana or unsweetened applesauce, about 1/4 cup per egg, also work, though they add a little flavor and moisture.",
     "Use an extra half cup of butter for each egg; butter does the same job in muffins and it's vegan too."),
    ("How do I keep cut avocado from turning brown?", "keeping avocado from browning",
     "Brush the cut surface with lemon or lime juice, press plastic wrap directly onto it, and keep it in the fridge.",
     "Browning is oxidation, so limiting contact with air matters much more than leaving the pit in.",
     "Leave it uncovered somewhere warm; air actually helps avocado flesh stay green."),
    ("How long does cooked rice keep in the fridge?", "storing leftover rice",
     "Cool it within about an hour, keep it in a sealed container in the fridge, and eat it within 3-4 days, reheating it until steaming hot.",
     "Rice left out for hours can grow Bacillus cereus, whose toxins survive reheating, so don't leave it on the counter overnight.",
     "Cooked rice keeps for about two weeks, and it's fine to leave it out overnight before you refrigerate it."),
    ("Why does my homemade bread come out dense?", "dense homemade bread",
     "Dense bread usually means the dough didn't rise enough: check that your yeast is fresh, knead until the dough is smooth and stretchy, and let it roughly double in a warm spot.",
     "Adding too much flour while kneading is another common cause, so keep the dough slightly tacky.",
     "Bread turns out dense because it was kneaded; skip kneading and bake it straight after mixing for a lighter loaf."),
    ("What's the best way to cut an onion without crying?", "cutting onions without tears",
     "Use a very sharp knife, chill the onion for 15-30 minutes first, and leave the root end for last since it releases the most irritant.",
     "Working near a fan or an open window also carries the fumes away from your eyes.",
     "Use a dull knife and cut the onion under a warm lamp; the heat stops it from releasing anything."),
    ("How do I stop spaghetti from sticking together?", "keeping pasta from sticking",
     "Use a big pot of well-salted boiling water, stir during the first couple of minutes, and toss the drained pasta with sauce right away.",
     "Oil in the water doesn't really help and makes the sauce slide off later.",
     "Use as little water as possible and never stir; the spaghetti separates on its own once it's cooked."),
    ("How do I get a good brown crust on a steak?", "searing steak",
     "Pat the steak very dry, salt it, and cook it in a smoking-hot heavy pan with a little high-smoke-point oil, leaving it untouched for 2-3 minutes per side.",
     "Don't crowd the pan, because that drops the temperature and makes the meat steam instead of brown.",
     "Start the steak in a cold pan covered with water and bring it up slowly; that gives the best crust."),
    ("Is it safe to thaw frozen chicken on the kitchen counter?", "thawing frozen chicken",
     "It's better not to: thaw it in the fridge, allowing about a day per 2 kg, or in cold water changed every 30 minutes, so the outside doesn't sit at room temperature where bacteria multiply.",
     "The microwave's defrost setting also works if you cook the chicken immediately afterwards.",
     "Yes, leaving it on the counter all day is the safest method because warm air kills bacteria."),
    ("How much salt should I add to pasta water?", "salting pasta water",
     "About 1 to 1.5 tablespoons of salt per 4 liters of water is a good guide; it should taste pleasantly seasoned, not like sea water.",
     "Add it once the water is boiling so it dissolves quickly.",
     "Add a full cup of salt per liter; pasta water should be far saltier than the sea."),
    ("What's a quick dinner I can make with canned chickpeas?", "a quick chickpea dinner",
     "Try a chickpea curry: fry onion, garlic and curry powder, add the drained chickpeas, a can of chopped tomatoes and a splash of coconut milk, and simmer for 15 minutes.",
     "Serve it over rice or with flatbread, with a handful of spinach stirred in at the end.",
     "Canned chickpeas still have to be soaked overnight and boiled for three hours, so there's no quick dinner you can make with them."),
    ("How do I make scrambled eggs creamy instead of rubbery?", "creamy scrambled eggs",
     "Cook them over low heat, stirring gently and constantly, and take them off while they still look slightly wet, since they keep cooking on the plate.",
     "A small knob of butter stirred in at the end makes them even softer.",
     "Use the highest heat you can and cook them until completely dry; that's what makes eggs creamy."),
    ("How do I know when oil is hot enough for deep-frying?", "checking frying oil temperature",
     "Most deep-frying works best at about 175-190°C (350-375°F); without a thermometer, dip in the handle of a wooden spoon, and steady bubbles around it mean the oil is ready.",
     "If the oil starts smoking, it's too hot, so turn the heat down.",
     "Wait until the oil is smoking heavily; lots of smoke means it's at the perfect frying temperature."),
    ("Can I freeze bananas for smoothies?", "freezing bananas",
     "Yes: peel them, cut them into chunks, freeze them on a tray, then move them into a freezer bag so they don't clump together.",
     "They keep for about 2-3 months and make smoothies thick and cold without ice.",
     "No, bananas burst in the freezer, so they can never be frozen."),
    ("How do I make a simple salad vinaigrette?", "making vinaigrette",
     "Whisk 3 parts oil with 1 part vinegar or lemon juice, add a pinch of salt and a little mustard to help it emulsify, and taste before dressing the salad.",
     "A small spoon of honey or a finely chopped shallot are nice additions.",
     "Mix equal parts vinegar and water with a cup of sugar; vinaigrette never contains oil."),
    ("What's the difference between baking and broiling?", "baking vs broiling",
     "Baking surrounds food with hot air at a steady temperature, while broiling uses intense direct heat from above, which is best for quick browning or melting cheese.",
     "Watch anything under the broiler closely; it can go from golden to burnt in under a minute.",
     "There's no difference; broiling is just the British word for baking."),
    ("How long should I let a steak rest after cooking?", "resting a steak",
     "Rest it for about 5-10 minutes, loosely covered with foil, so the juices settle before you slice it.",
     "A large roast benefits from 15-20 minutes.",
     "Cut steak immediately; resting it is what makes all the juice run out."),
    ("My soup is too salty. How can I fix it?", "fixing salty soup",
     "Dilute it with unsalted stock or water and add more unsalted vegetables, beans or potatoes; a squeeze of lemon can also balance the saltiness.",
     "Dropping in a raw potato and fishing it out only helps a little, so dilution is the real fix.",
     "Stir in a few spoonfuls of soy sauce; it cancels out the salt."),
    ("How do I caramelize onions properly?", "caramelizing onions",
     "Slice them thinly and cook them slowly in butter or oil over medium-low heat for 30-45 minutes, stirring now and then and adding a splash of water if they stick.",
     "A pinch of salt at the start draws out moisture and helps them soften.",
     "Cook them on the highest heat for about three minutes until they blacken; that's caramelization."),
    ("How do I store fresh cilantro so it doesn't wilt in two days?", "storing fresh cilantro",
     "Trim the stems, stand the bunch in a glass with a little water, loosely cover the leaves with a plastic bag, and keep it in the fridge.",
     "Change the water every couple of days and it should stay fresh for about a week.",
     "Seal it in a dry jar on a sunny windowsill; warmth and light keep herbs fresh."),
    ("What's a good way to reheat pizza so the crust doesn't get soggy?", "reheating pizza",
     "Reheat slices in a dry frying pan over medium heat for a few minutes, covering the pan briefly at the end to melt the cheese.",
     "For several slices, an oven at about 200°C on a preheated tray works well.",
     "Wrap it in a wet paper towel and microwave it for five minutes; that keeps the crust crispy."),
    ("How can I tell if an egg is still fresh?", "checking egg freshness",
     "Put it in a bowl of water: fresh eggs sink and lie flat, older ones stand on end, and eggs that float should be thrown out.",
     "Any egg that smells off when cracked should be discarded regardless.",
     "Fresh eggs float to the top of the water, and the ones that sink have gone bad."),
    ("How do I make my chocolate chip cookies chewy instead of crispy?", "chewy cookies",
     "Use more brown sugar than white, melt the butter, add an extra egg yolk, and take them out while the centers still look slightly underdone.",
     "Chilling the dough for an hour also helps them stay thick.",
     "Use only white sugar and bake them twice as long as the recipe says; that's what makes cookies chewy."),
    ("How do I cook dried lentils?", "cooking dried lentils",
     "Rinse them and simmer in about three times their volume of water: red lentils take around 15-20 minutes and green or brown ones 20-30 minutes, with no soaking needed.",
     "Add salt near the end so the skins stay tender.",
     "Lentils must be soaked for two days and boiled for at least four hours before they're edible."),
    ("What oil is best for stir-frying?", "oil for stir-frying",
     "Choose an oil with a high smoke point and neutral flavor, such as peanut, canola or rice bran oil.",
     "Save toasted sesame oil for drizzling at the end, since it burns easily.",
     "Butter is best for stir-frying because it has the highest smoke point of any cooking fat."),
    ("How can I make my mashed potatoes less gluey?", "non-gluey mashed potatoes",
     "Use starchy potatoes like Russets, mash them by hand or with a ricer instead of a blender, and fold in warm butter and milk without overworking them.",
     "Letting the drained potatoes steam dry in the hot pot for a minute also helps.",
     "Blend them in a food processor on high for several minutes; the longer you blend, the fluffier they get."),
    ("Should I wash raw chicken before cooking it?", "washing raw chicken",
     "It's best not to: rinsing doesn't remove bacteria and splashes them around your sink, while cooking to 74°C (165°F) kills them.",
     "Just pat it dry with paper towels, then wash your hands and surfaces.",
     "Always scrub raw chicken with dish soap under hot water; that removes all the bacteria, so you can cook it less."),
]

EN_TRAVEL = [
    ("What's the easiest way to get around Tokyo as a first-time visitor?", "getting around Tokyo",
     "Use the trains and subway: get a rechargeable IC card like Suica or Pasmo, which works on almost every line, and plan routes with a maps app.",
     "Avoid the morning rush, roughly 8-9 am, if you're carrying luggage.",
     "Rent a car; Tokyo has very little public transport and parking is free almost everywhere."),
    ("How can I reduce jet lag after a long flight east?", "reducing jet lag",
     "Shift your sleep a little earlier for a few days before leaving, drink water on the flight, and get plenty of morning daylight once you arrive.",
     "Try to stay up until a normal local bedtime on the first day, with at most a short nap.",
     "Stay in a dark hotel room for the first three days and sleep whenever you like; daylight makes jet lag worse."),
    ("What should I pack in my carry-on for a long-haul flight?", "carry-on packing",
     "Keep the essentials with you: passport, medications, phone charger, a change of clothes, an empty refillable water bottle and some snacks.",
     "Earplugs, an eye mask and a light sweater make a big difference on an overnight flight.",
     "Put your passport and medication in your checked bag so you don't have to carry them around the plane."),
    ("Do I need to tell my bank before I travel abroad?", "using bank cards abroad",
     "It's worth checking: many banks now detect travel automatically, but a quick notice or app setting can stop your card being blocked as suspicious.",
     "Also ask about foreign transaction fees and bring a backup card.",
     "No, and don't bring cards at all; carrying all your travel money in cash is always safest."),
    ("What's a good way to spend two days in Rome?", "two days in Rome",
     "Give one day to ancient Rome, with the Colosseum, Roman Forum and Palatine Hill, and the other to the Vatican Museums, St. Peter's, the Pantheon and the Trevi Fountain.",
     "Book Colosseum and Vatican tickets online in advance to skip the long lines.",
     "Rome's main sights are the Eiffel Tower and the Louvre, which you can see in one afternoon."),
    ("How early should I get to the airport for an international flight?", "airport arrival time",
     "Aim to arrive about three hours before an international departure to leave time for check-in, security and passport control.",
     "Check your airline's bag-drop cutoff, which is often 60 minutes before departure.",
     "Twenty minutes before departure is plenty; international gates stay open until takeoff."),
    ("Is tap water safe to drink in Germany and France?", "tap water in Western Europe",
     "Yes, tap water in Germany and France is treated and generally safe to drink.",
     "Just look out for 'non potable' or 'kein Trinkwasser' signs on taps in trains and some older buildings.",
     "No, tap water there is unsafe; you should even brush your teeth with bottled water."),
    ("How do I avoid pickpockets in busy tourist areas?", "avoiding pickpockets",
     "Keep your wallet and phone in a front or zipped pocket, wear your bag across your body, and stay alert in crowds, on the metro and at big attractions.",
     "Be wary of strangers who create distractions, like asking you to sign a petition.",
     "Keep your wallet in your back pocket and hang your bag on your chair so you always know where it is."),
    ("When is the best time to visit Iceland to see the northern lights?", "northern lights in Iceland",
     "Go between roughly September and March, when nights are long and dark, and head away from city lights on clear nights.",
     "Check the aurora and cloud-cover forecasts each day, since clear skies matter as much as solar activity.",
     "Visit in late June, when the midnight sun makes the northern lights brightest."),
    ("How much should I tip at restaurants in the United States?", "tipping in the US",
     "At sit-down restaurants in the US, about 15-20% of the pre-tax bill is standard, with 20% common for good service.",
     "Check the bill first, since some restaurants add a service charge for large groups.",
     "Tipping isn't done in the US and waiters find it insulting, so just pay the exact bill."),
    ("What should I do if I lose my passport while abroad?", "losing a passport abroad",
     "Report it to the local police to get a report, then contact your country's nearest embassy or consulate, which can issue an emergency travel document.",
     "A photo or photocopy of your passport's ID page makes the process much faster.",
     "Just go to the airport and explain; airlines will fly you home on your driver's license."),
    ("Is it better to exchange money at home or at the airport?", "exchanging currency",
     "Airport exchange counters usually have the worst rates, so it's often cheaper to use a bank ATM on arrival or order currency from your bank beforehand.",
     "If a card machine offers to charge you in your home currency, decline and pay in the local currency.",
     "Airport exchange counters always give the best rates, so change all your money there."),
    ("How do I stay safe hiking alone on a day trail?", "hiking alone safely",
     "Tell someone your route and return time, check the weather, and carry water, a map or offline GPS, a charged phone and a warm layer; turn back if conditions change.",
     "Stick to marked trails, especially on your first visit.",
     "Don't tell anyone where you're going, leave the map at home, and go off-trail to find quieter routes."),
    ("What's the best way to travel from London to Paris?", "London to Paris travel",
     "The Eurostar is usually easiest: it runs from St Pancras in London to Gare du Nord in Paris in about 2 hours 20 minutes, city center to city center.",
     "Book early for cheaper fares and arrive about an hour before departure for security and passport checks.",
     "Take the Eurostar from Heathrow Airport to Charles de Gaulle; the trip takes about six hours."),
    ("How can I find cheap flights?", "finding cheap flights",
     "Be flexible with dates and airports, compare prices on a flight search site, set fare alerts, and book a month or more ahead.",
     "Mid-week departures are often cheaper than Fridays and Sundays.",
     "Always book the day before you fly; airlines cut every ticket to half price at the last minute."),
    ("Do I need any vaccinations before a trip to Kenya?", "travel vaccinations",
     "Very likely: see a travel clinic 4-8 weeks before you go, since commonly recommended vaccines for Kenya include hepatitis A, typhoid and yellow fever, and you may need malaria tablets.",
     "Bring your vaccination record, because some borders ask for a yellow fever certificate.",
     "You never need vaccinations for travel in Africa; a strong immune system is enough."),
    ("How do I deal with seasickness on a ferry?", "seasickness on a ferry",
     "Stay on deck or near the middle of the boat, look at the horizon, get fresh air, and consider an over-the-counter remedy taken before you board.",
     "Avoid reading or staring at your phone, and eat something light rather than nothing.",
     "Go below deck to a windowless cabin and read a book; focusing on something close stops seasickness."),
    ("What should I know before renting a car in another country?", "renting a car abroad",
     "Check whether you need an International Driving Permit, which side of the road they drive on and what the insurance covers, and photograph the car for existing damage before leaving the lot.",
     "Some credit cards include rental insurance, so check before buying extra coverage.",
     "Your home license works in every country, insurance is never needed, and there's no point inspecting the car."),
    ("How can I visit Paris on a tight budget?", "a budget trip to Paris",
     "Walk or use the Métro, picnic with food from bakeries and markets, and enjoy free sights like the Sacré-Cœur and the views from Montmartre.",
     "A hostel or guesthouse a little outside the center saves a lot on accommodation.",
     "Stay on the Champs-Élysées and eat every meal at sit-down restaurants; that's the cheapest way to see Paris."),
    ("Any tips for sleeping well in a hostel dorm?", "sleeping in a hostel dorm",
     "Bring earplugs and an eye mask, lock valuables in a locker with your own padlock, and pack a small bag so you can get ready quietly.",
     "A bottom bunk near the door makes late arrivals easier.",
     "Leave your valuables on your bed; lockers are the first place thieves look."),
    ("How do I pay for the Tube in London?", "paying for the London Underground",
     "Tap a contactless bank card or phone on the yellow reader when you enter and exit; daily fares are capped, so it's usually cheaper than paper tickets.",
     "Use the same card or phone for every journey so the cap applies.",
     "You have to buy a paper ticket from the driver on each Tube train; bank cards aren't accepted."),
    ("What should I wear to visit temples in Thailand?", "temple dress code in Thailand",
     "Cover your shoulders and knees, for example with a T-shirt and long trousers or a long skirt, and expect to take off your shoes before entering temple buildings.",
     "A light sarong in your bag is handy on days you're wearing shorts.",
     "Swimwear is fine in Thai temples, and you should keep your shoes on inside as a sign of respect."),
    ("I'm scared of flying. How can I make a flight less stressful?", "fear of flying",
     "Learning how safe flying is can help, as can choosing a seat over the wing, where turbulence feels milder, and practicing slow breathing during takeoff.",
     "If the fear is severe, a fear-of-flying course or a few sessions with a therapist work very well.",
     "Drink as much alcohol as you can before boarding; it's the most reliable cure for fear of flying."),
    ("Can I put a power bank in my checked luggage?", "power banks on flights",
     "No, lithium power banks must go in your carry-on, not your checked bag, and most airlines limit them to 100 Wh without approval.",
     "Keep it switched off and protected from short circuits.",
     "Power banks must go in checked luggage; they're banned from the cabin."),
    ("What should a first-timer see in a weekend in Barcelona?", "a weekend in Barcelona",
     "Spend day one at the Sagrada Família (book ahead), Park Güell and Gràcia, and day two in the Gothic Quarter, La Boqueria market and Barceloneta beach.",
     "Dinner is late in Spain, often around 9 pm.",
     "Barcelona's must-sees are the Alhambra and the Prado Museum, both in the city center."),
]
