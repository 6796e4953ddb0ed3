"""Words for the synthetic worlds (``paidfor.eval.world``): people's names, places, issues,
and the sentences ads are written from.

An account writes in a ``Voice``: a handful of base texts made once from the sentence banks
(with its own candidate, place and issue filled in), which each ad then varies by swapping a
few words. So one account's ads are near-duplicates of each other, two unrelated accounts
share little beyond a sentence skeleton, and a network that reuses one voice across its
accounts (the ``near_duplicate_text`` trace) is near-duplicate across them. The divisive
sentences are shared by legitimate issue groups and by the networks: content alone does not
tell them apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from random import Random


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
    "Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy "
    "Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Brenda Stephen Emma Larry "
    "Anna Justin Pamela Scott Nicole Brandon Samantha Benjamin Katherine Samuel Christine "
    "Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia "
    "Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan "
    "Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia "
    "Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl "
    "Roger Jacqueline Terry Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha "
    "Harold Sara Jordan Gloria Jesse Janice Bryan Kathryn Lawrence Ann Arthur Isabella Gabriel "
    "Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber Alan Alice Juan Jean Elijah Denise "
    "Willie Frances Albert Danielle Wayne Marilyn Randy Natalie Mason Beverly Vincent Diana "
    "Liam Brittany Roy Theresa Bobby Kayla Caleb Alexis Bradley Doris Russell Lori Lucas Tiffany "
    "Carlos Rosa Luis Ana Miguel Carmen Jorge Sofia Wei Mei Jin Priya Raj Anjali Kwame Aisha "
    "Darnell Keisha Tamika Jamal DeShawn Latoya Omar Fatima Hiroshi Yuki Minh Linh Dmitri Olga"
)
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry "
    "Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons "
    "Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West "
    "Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro "
    "Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry "
    "Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd "
    "Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols "
    "Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kowalski Novak Okafor Haddad Cohen "
    "Goldberg Shapiro Yamamoto Tanaka Singh Shah Wong Liu Zhang Park Choi Pham Volkov Petrov"
)
RU_FIRST = _words(
    "Aleksandr Dmitry Sergey Andrey Alexey Maxim Ivan Mikhail Nikolai Artem Pavel Roman Oleg "
    "Yevgeny Vladimir Anna Maria Elena Olga Natalia Irina Tatiana Svetlana Yulia Ekaterina "
    "Ksenia Daria Polina Anastasia Viktoria"
)
RU_LAST = _words(
    "Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov Mikhailov Novikov Fedorov Morozov "
    "Volkov Alekseev Lebedev Semenov Egorov Pavlov Kozlov Stepanov Nikolaev Orlov Andreev "
    "Makarov Nikitin Zakharov Zaitsev Soloviev Borisov Yakovlev Grigoriev"
)

# (state, [cities]); regions of targeting are state names, as the IRA release has them.
US_PLACES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Alabama", ("Birmingham", "Montgomery", "Mobile", "Huntsville")),
    ("Alaska", ("Anchorage", "Juneau", "Fairbanks")),
    ("Arizona", ("Phoenix", "Tucson", "Mesa", "Flagstaff", "Yuma")),
    ("Arkansas", ("Little Rock", "Fayetteville", "Jonesboro")),
    ("California", ("Los Angeles", "San Diego", "Fresno", "Sacramento", "Oakland", "Riverside")),
    ("Colorado", ("Denver", "Colorado Springs", "Aurora", "Pueblo")),
    ("Connecticut", ("Hartford", "New Haven", "Bridgeport", "Stamford")),
    ("Delaware", ("Wilmington", "Dover", "Newark")),
    ("Florida", ("Miami", "Tampa", "Orlando", "Jacksonville", "Tallahassee", "Fort Myers")),
    ("Georgia", ("Atlanta", "Savannah", "Augusta", "Macon", "Athens")),
    ("Hawaii", ("Honolulu", "Hilo")),
    ("Idaho", ("Boise", "Nampa", "Idaho Falls")),
    ("Illinois", ("Chicago", "Springfield", "Peoria", "Rockford", "Naperville")),
    ("Indiana", ("Indianapolis", "Fort Wayne", "Evansville", "Bloomington")),
    ("Iowa", ("Des Moines", "Cedar Rapids", "Davenport", "Ames")),
    ("Kansas", ("Wichita", "Topeka", "Overland Park")),
    ("Kentucky", ("Louisville", "Lexington", "Bowling Green")),
    ("Louisiana", ("New Orleans", "Baton Rouge", "Shreveport", "Lafayette")),
    ("Maine", ("Portland", "Bangor", "Augusta")),
    ("Maryland", ("Baltimore", "Annapolis", "Frederick", "Rockville")),
    ("Massachusetts", ("Boston", "Worcester", "Springfield", "Lowell")),
    ("Michigan", ("Detroit", "Grand Rapids", "Lansing", "Flint", "Ann Arbor", "Saginaw")),
    ("Minnesota", ("Minneapolis", "Saint Paul", "Duluth", "Rochester")),
    ("Mississippi", ("Jackson", "Gulfport", "Hattiesburg")),
    ("Missouri", ("Kansas City", "St. Louis", "Springfield", "Columbia")),
    ("Montana", ("Billings", "Missoula", "Helena")),
    ("Nebraska", ("Omaha", "Lincoln", "Kearney")),
    ("Nevada", ("Las Vegas", "Reno", "Henderson")),
    ("New Hampshire", ("Manchester", "Nashua", "Concord")),
    ("New Jersey", ("Newark", "Jersey City", "Trenton", "Camden")),
    ("New Mexico", ("Albuquerque", "Santa Fe", "Las Cruces")),
    ("New York", ("New York", "Buffalo", "Rochester", "Albany", "Syracuse")),
    ("North Carolina", ("Charlotte", "Raleigh", "Greensboro", "Durham", "Asheville")),
    ("North Dakota", ("Fargo", "Bismarck")),
    ("Ohio", ("Columbus", "Cleveland", "Cincinnati", "Toledo", "Akron", "Dayton")),
    ("Oklahoma", ("Oklahoma City", "Tulsa", "Norman")),
    ("Oregon", ("Portland", "Eugene", "Salem", "Bend")),
    ("Pennsylvania", ("Philadelphia", "Pittsburgh", "Harrisburg", "Erie", "Scranton")),
    ("Rhode Island", ("Providence", "Warwick")),
    ("South Carolina", ("Charleston", "Columbia", "Greenville")),
    ("South Dakota", ("Sioux Falls", "Rapid City")),
    ("Tennessee", ("Nashville", "Memphis", "Knoxville", "Chattanooga")),
    ("Texas", ("Houston", "Dallas", "Austin", "San Antonio", "El Paso", "Fort Worth", "Laredo")),
    ("Utah", ("Salt Lake City", "Provo", "Ogden")),
    ("Vermont", ("Burlington", "Montpelier")),
    ("Virginia", ("Richmond", "Norfolk", "Virginia Beach", "Arlington", "Roanoke")),
    ("Washington", ("Seattle", "Spokane", "Tacoma", "Olympia")),
    ("West Virginia", ("Charleston", "Huntington", "Morgantown")),
    ("Wisconsin", ("Milwaukee", "Madison", "Green Bay", "Kenosha")),
    ("Wyoming", ("Cheyenne", "Casper")),
)
SWING_STATES = ("Arizona", "Georgia", "Michigan", "Nevada", "North Carolina", "Pennsylvania",
                "Wisconsin")  # fmt: skip

# Legitimate advertisers abroad: (country, currency, language, party/organisation names, cities)
ABROAD: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("GB", "GBP", "en_GB", ("Labour", "Conservatives", "Liberal Democrats", "Green Party"),
     ("London", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff")),
    ("CA", "CAD", "en_CA", ("Liberal Party", "NDP", "Conservative Party", "Bloc Québécois"),
     ("Toronto", "Vancouver", "Montréal", "Calgary", "Ottawa", "Halifax")),
    ("FR", "EUR", "fr_FR", ("Renaissance", "Les Républicains", "Parti socialiste", "EELV"),
     ("Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes")),
    ("DE", "EUR", "de_DE", ("SPD", "CDU", "Grüne", "FDP", "Die Linke"),
     ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Stuttgart")),
    ("IE", "EUR", "en_IE", ("Fianna Fáil", "Fine Gael", "Sinn Féin", "Labour"),
     ("Dublin", "Cork", "Galway", "Limerick")),
    ("AU", "AUD", "en_AU", ("Labor", "Liberal Party", "The Greens", "Nationals"),
     ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide")),
    ("ES", "EUR", "es_ES", ("PSOE", "Partido Popular", "Sumar", "Ciudadanos"),
     ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao")),
    ("NL", "EUR", "nl_NL", ("VVD", "GroenLinks-PvdA", "D66", "CDA"),
     ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag")),
)  # fmt: skip

OFFICES = (
    "Congress", "State Senate", "State House", "Mayor", "City Council", "County Commission",
    "School Board", "Sheriff", "District Attorney", "Governor", "U.S. Senate", "Judge",
    "County Clerk", "Treasurer", "Attorney General", "Assembly", "Water Board", "Supervisor",
)  # fmt: skip

ISSUES: dict[str, tuple[bool, tuple[str, ...], tuple[str, ...]]] = {
    # issue: (divisive, targeting interests, hashtags)
    "immigration": (True, ("Immigration", "Border security", "Immigration reform", "Human rights"),
                    ("#SecureTheBorder", "#Immigration", "#NoHumanIsIllegal", "#StopTheInvasion")),
    "guns": (True, ("Second Amendment", "Gun rights", "Hunting", "Gun control", "NRA"),
             ("#2A", "#ShallNotBeInfringed", "#EndGunViolence", "#MomsDemandAction")),
    "race": (True, ("African-American Civil Rights Movement (1954-68)", "Black Lives Matter",
                    "Civil rights", "Martin Luther King Jr.", "African-American culture"),
             ("#BlackLivesMatter", "#StayWoke", "#BlackHistory", "#Justice")),
    "religion": (True, ("Christianity", "Jesus", "Bible", "Islam", "Religious freedom"),
                 ("#FaithOverFear", "#ReligiousFreedom", "#GodBlessAmerica", "#Pray")),
    "police": (True, ("Police", "Law enforcement", "Police brutality", "Criminal justice reform"),
               ("#BackTheBlue", "#PoliceBrutality", "#DefundThePolice", "#BlueLivesMatter")),
    "abortion": (True, ("Abortion", "Pro-life movement", "Reproductive rights",
                        "Planned Parenthood"),
                 ("#ProLife", "#ProChoice", "#RoeVWade", "#BansOffOurBodies")),
    "lgbt": (True, ("LGBT community", "Transgender rights", "Same-sex marriage", "Family values"),
             ("#Pride", "#LoveIsLove", "#ParentalRights", "#ProtectKids")),
    "patriotism": (True, ("Patriotism", "Veterans", "Conservatism", "United States Armed Forces"),
                   ("#ProudAmerican", "#Patriot", "#SupportOurTroops", "#WeThePeople")),
    "healthcare": (False, ("Health care", "Medicare", "Health insurance", "Nursing"),
                   ("#HealthCare", "#ProtectMedicare", "#Medicaid")),
    "economy": (False, ("Small business", "Economics", "Inflation", "Entrepreneurship"),
                ("#Jobs", "#SmallBusiness", "#Economy")),
    "education": (False, ("Education", "Teachers", "Public schools", "Parenting"),
                  ("#PublicEd", "#Teachers", "#SchoolChoice")),
    "environment": (False, ("Environmentalism", "Climate change", "Renewable energy", "Nature"),
                    ("#ClimateAction", "#CleanEnergy", "#ProtectOurParks")),
    "housing": (False, ("Real estate", "Affordable housing", "Homelessness"),
                ("#HousingForAll", "#AffordableHousing")),
    "infrastructure": (False, ("Public transport", "Roads", "Community issues"),
                       ("#FixOurRoads", "#Infrastructure")),
    "taxes": (False, ("Taxes", "Personal finance", "Economics"), ("#CutTaxes", "#TaxFairness")),
    "seniors": (False, ("Social Security", "Retirement", "AARP"), ("#SocialSecurity",)),
    "energy": (False, ("Energy", "Oil and gas", "Solar power"), ("#EnergyIndependence",)),
    "agriculture": (False, ("Agriculture", "Farming", "Rural development"), ("#Farmers",)),
}  # fmt: skip
DIVISIVE = tuple(k for k, v in ISSUES.items() if v[0])
EVERYDAY = tuple(k for k, v in ISSUES.items() if not v[0])
GENERAL_INTERESTS = ("Politics", "Community issues", "Volunteering", "Voting", "News",
                     "Current events", "Local news", "Politics and social issues")  # fmt: skip
# What a business's (or a sleeper's) commercial ads target.
COMMERCIAL_INTERESTS = ("Shopping", "Home improvement", "Cooking", "Fitness", "Travel", "Pets",
                        "Fashion", "Coffee", "Cars", "Gardening", "Online shopping",
                        "Restaurants", "Outdoor recreation", "Family")  # fmt: skip
# County names (many states have one of each): county committees, county clerks.
COUNTIES = _words(
    "Adams Allen Benton Boone Brown Butler Calhoun Carroll Cass Clark Clay Clinton Crawford "
    "Cumberland Dallas Douglas Franklin Fulton Grant Greene Hamilton Hancock Harrison Henry "
    "Howard Jackson Jasper Jefferson Johnson Knox Lake Lawrence Lee Lincoln Logan Madison "
    "Marion Marshall Monroe Montgomery Morgan Perry Pike Polk Putnam Randolph Scott Shelby "
    "Union Warren Washington Wayne Webster Wilson"
)

# Who a divisive message speaks for, by issue.
GROUPS: dict[str, tuple[str, ...]] = {
    "immigration": ("hardworking Americans", "border towns", "immigrant families", "Dreamers",
                    "American workers"),
    "guns": ("law-abiding gun owners", "hunters and sportsmen", "families who lost loved ones",
             "responsible gun owners"),
    "race": ("Black Americans", "our community", "Black families", "our brothers and sisters",
             "young Black men"),
    "religion": ("Christians", "people of faith", "Muslim Americans", "believers",
                 "our churches"),
    "police": ("police officers", "victims of police brutality", "our officers",
               "our neighborhoods", "families of victims"),
    "abortion": ("unborn children", "women", "mothers", "families", "doctors and nurses"),
    "lgbt": ("LGBT youth", "parents", "our kids", "trans Americans", "families"),
    "patriotism": ("veterans", "real patriots", "our troops", "proud Americans",
                   "the silent majority"),
}  # fmt: skip
CLAIMS: dict[str, tuple[str, ...]] = {
    "immigration": ("the border is wide open", "illegal crossings hit a record again",
                    "families are being torn apart at the border", "amnesty is back on the table",
                    "asylum seekers are left waiting for years"),
    "guns": ("they are coming for your guns", "another school shooting happened this week",
             "a new gun ban is moving through the legislature",
             "background checks are supported by most gun owners"),
    "race": ("another unarmed Black man was killed", "our voices are being silenced",
             "the system was never built for us", "redlining still shapes our neighborhoods"),
    "religion": ("our faith is under attack", "churches are being told to stay silent",
                 "mosques face threats every week", "prayer was pushed out of our schools"),
    "police": ("officers are being abandoned by politicians", "no one is held accountable",
               "crime is rising while police budgets are cut",
               "another video of excessive force went viral"),
    "abortion": ("a new abortion ban passed", "clinics are closing across the state",
                 "late-term abortion is on the ballot", "women are losing their rights"),
    "lgbt": ("parents are being cut out of decisions", "trans kids are under attack",
             "drag shows are coming to schools", "hate crimes against LGBT people are rising"),
    "patriotism": ("our flag is being disrespected", "veterans wait months for care",
                   "the elites look down on us", "our history is being erased"),
}  # fmt: skip

# Everyday issues speak of their own troubles: (claims, groups)
EVERYDAY_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "healthcare": (("premiums went up again", "rural hospitals are closing",
                    "drug prices keep climbing"), ("patients", "seniors", "nurses")),
    "economy": (("prices are still too high", "small businesses are struggling",
                 "wages are not keeping up"), ("working families", "small business owners",
                                               "workers")),
    "education": (("class sizes keep growing", "teachers are leaving the profession",
                   "school funding was cut again"), ("students", "teachers", "parents")),
    "environment": (("our rivers are polluted", "wildfire season is getting longer",
                     "the new pipeline threatens our water"), ("future generations", "farmers",
                                                               "our kids")),
    "housing": (("rents went up again", "homelessness is rising",
                 "young families cannot afford a home"), ("renters", "young families", "seniors")),
    "infrastructure": (("our bridges are crumbling", "the bus line was cut",
                        "broadband still skips rural towns"), ("commuters", "rural families",
                                                               "drivers")),
    "taxes": (("property taxes went up again", "the new tax bill favors the wealthy",
               "the state is sitting on a surplus"), ("taxpayers", "homeowners",
                                                      "working families")),
    "seniors": (("Social Security is under threat", "drug costs are crushing seniors",
                 "nursing homes are understaffed"), ("seniors", "retirees", "caregivers")),
    "energy": (("electric bills keep rising", "gas prices are up again",
                "the grid failed last winter"), ("ratepayers", "families", "workers")),
    "agriculture": (("farm income is falling", "the farm bill is stalled",
                     "droughts are hitting our farms"), ("farmers", "ranchers",
                                                         "rural communities")),
}  # fmt: skip
for _issue, (_claims, _groups) in EVERYDAY_WORDS.items():
    CLAIMS[_issue], GROUPS[_issue] = _claims, _groups

DIVISIVE_LINES = (
    "They don't want you to know that {claim}.",
    "The media won't tell you, but {claim}.",
    "{Claim}. Nobody in Washington cares about {group}.",
    "{Claim}, and the politicians are silent.",
    "It's time for {group} to stand together.",
    "We are tired of being ignored. {Group} deserve better.",
    "Stand with {group}. Enough is enough.",
    "If you care about {group}, now is the time to speak up.",
    "Fact: {claim}. Do your own research.",
    "{Group} built this country. Don't let anyone take that away.",
    "Wake up, America: {claim}.",
    "This is about {group}, not politics.",
)
BAIT_LINES = (
    "Like and share if you agree!", "Share this before it gets deleted.", "Follow our page for "
    "the truth.", "Type YES if you stand with us.", "Tag a friend who needs to see this.",
    "Repost if you are not afraid.", "Join our community today.",
)  # fmt: skip
ISSUE_LINES = (
    "Tell Congress: act now on {issue}.",
    "Sign the petition to protect {group}.",
    "Call your representative today and demand action on {issue}.",
    "Our new report shows what {issue} policy means for {place}.",
    "Join thousands of {place} residents standing up for {group}.",
    "Donate today to support our work on {issue}.",
    "{Claim}. We are fighting back in the courts and at the ballot box.",
    "Learn the facts about {issue} in {place}.",
    "Volunteers are needed in {city} this weekend.",
    "Your gift will be matched until midnight.",
)
CAMPAIGN_OPENERS = (
    "{cand} is running for {office} because {place} deserves better.",
    "I'm {cand}, and I'm running for {office} to {promise}.",
    "{place} needs leaders who {promise}.",
    "As your {office_short}, {first} will {promise}.",
    "{first} {last} has spent {years} years working to {promise}.",
    "Meet {cand}: {trait}, and ready to serve {place}.",
    "Re-elect {cand} for {office}!",
    "{cand} is the only candidate for {office} who will {promise}.",
)
PROMISES = (
    "lower costs for working families", "fix our roads and bridges",
    "keep our neighborhoods safe", "fully fund our public schools",
    "protect Social Security and Medicare", "cut wasteful spending",
    "bring good-paying jobs back home", "protect our water and land",
    "stand up for our veterans", "make housing affordable again",
    "stand up to special interests", "defend our freedoms", "support local farmers",
    "lower property taxes", "expand access to health care", "back our police and firefighters",
    "protect the right to vote", "make child care affordable", "secure the border",
    "protect women's rights", "keep government transparent",
)  # fmt: skip
TRAITS = (
    "a nurse and mother of three", "a Marine veteran", "a small business owner",
    "a former teacher", "a lifelong resident", "a farmer and rancher", "a former prosecutor",
    "a union electrician", "a pastor and community leader", "an engineer and dad",
    "a retired police sergeant", "a public defender", "a former city council member",
)  # fmt: skip
CAMPAIGN_CTAS = (
    "Early voting starts {date}. Make your plan to vote today!",
    "Chip in ${amount} before the end-of-quarter deadline.",
    "Join our team of volunteers and knock doors in {city}.",
    "Vote {last} for {office} on November 5.",
    "Request your mail ballot today.",
    "Come meet {first} at our town hall in {city} on {day}.",
    "Every dollar counts. Donate now.",
    "Watch the new ad and share it with a friend.",
    "Paid for by {funder}.",
)
ORG_LINES = (
    "{org} has served {place} for {years} years.", "Get the latest from {org}.",
    "Read the full story on our site.", "Subscribe for local news you can trust.",
    "Find out what the new law means for you.", "Applications close {date}.",
    "Public meeting in {city} on {day}. Residents are welcome to comment.",
    "Shop local and support {place} businesses.", "Save the date: {day} in {city}.",
    "Our members keep {place} running.", "Know your rights at work.",
)  # fmt: skip
# A county party committee's template: "{county}" is the county's name, the rest is the state
# party's own wording, the same for every committee.
COMMITTEE_LINES = (
    "The {county} County {party} Party is ready for November. Find your polling place today.",
    "Volunteer with the {county} County {members}: phone banks every {day}.",
    "Join your neighbors at the {county} County {party} headquarters on {day}.",
    "Every vote in {county} County counts. Request your mail ballot today.",
    "The {state} {party} ticket needs you: knock doors in {county} County this weekend.",
    "Meet our {county} County candidates at the county fairgrounds on {day}.",
)
# A state's template for county election offices: the same notice with the county swapped.
CLERK_LINES = (
    "The {county} County Clerk reminds voters: early voting begins {date}.",
    "Check your voter registration with the {county} County Elections Office before {date}.",
    "{county} County: mail ballots must be received by 7 p.m. on Election Day.",
    "Poll workers needed in {county} County. Paid training is provided.",
    "Find your {county} County polling place and sample ballot online.",
)
# Ballot measures a coalition campaigns for: (measure, the vote it asks for, issue, purpose)
MEASURES = (
    ("Prop 12", "Yes", "housing", "to build affordable homes"),
    ("Amendment 3", "Yes", "abortion", "to protect reproductive freedom"),
    ("Measure 110", "No", "police", "to keep our streets safe"),
    ("Question 2", "Yes", "healthcare", "to expand Medicaid"),
    ("Issue 1", "No", "economy", "to keep the minimum wage fair"),
    ("Prop 4", "Yes", "environment", "to protect clean water"),
    ("Initiative 2117", "No", "energy", "to keep clean-energy investment"),
    ("Amendment 1", "Yes", "education", "to fund public schools"),
)
MEASURE_LINES = (
    "Vote {vote} on {measure} {purpose}. {org} stands with the coalition.",
    "{org} and our partners urge you: vote {vote} on {measure}.",
    "{measure} is on your ballot. Here is why {org} says {vote}.",
    "Teachers, nurses and neighbors agree: {vote} on {measure}.",
    "Early voting has started. Vote {vote} on {measure} {purpose}.",
)
# Petitions the same-cause groups send their supporters to: (cause, petition domain, issue)
CAUSES = (
    ("Save the Bees", "www.savethebeespetition.org", "environment"),
    ("Stop the Pipeline", "www.stopthepipelinenow.org", "environment"),
    ("Protect Medicare", "www.protectmedicarepetition.com", "seniors"),
    ("Fund Our Schools", "www.fundourschoolsnow.org", "education"),
    ("Cancel Medical Debt", "www.medicaldebtpetition.org", "healthcare"),
    ("Lower Rx Prices", "www.lowerrxpricesnow.org", "healthcare"),
    ("End Surprise Fees", "www.endjunkfees.org", "economy"),
    ("Family Farms First", "www.familyfarmsfirst.org", "agriculture"),
)
CAUSE_LINES = (
    "Add your name: {cause} before it is too late.",
    "{Claim}. Sign the petition to {cause_lower}.",
    "We need 100,000 signatures to {cause_lower}. Add yours today.",
    "{org} is joining the call to {cause_lower}. Will you?",
    "Tell your legislators: {cause_lower} now.",
    "{Group} are counting on us. Sign to {cause_lower}.",
)
DAYS = ("Saturday", "Sunday", "Tuesday evening", "Thursday", "this weekend", "October 12",
        "October 19", "September 28", "November 2")  # fmt: skip
DATES = ("October 21", "October 15", "October 26", "October 7", "next week", "Monday")

SWAPS: dict[str, tuple[str, ...]] = {
    "stand": ("stand", "unite", "rise up"), "now": ("now", "today", "right now"),
    "ignored": ("ignored", "forgotten", "silenced"), "deserve": ("deserve", "need", "demand"),
    "truth": ("truth", "facts", "real story"), "Enough": ("Enough", "No more", "Stop"),
    "politicians": ("politicians", "elites", "career politicians"),
    "silent": ("silent", "quiet", "looking away"), "care": ("care", "think", "worry"),
    "attack": ("attack", "fire", "threat"), "country": ("country", "nation", "land"),
    "community": ("community", "people", "family"), "speak": ("speak", "stand"),
    "today": ("today", "now", "this week"), "fighting": ("fighting", "working", "pushing"),
    "protect": ("protect", "defend", "save"), "help": ("help", "support", "back"),
    "join": ("join", "stand with", "be with"), "Join": ("Join", "Stand with", "Be with"),
    "better": ("better", "more", "real change"), "share": ("share", "repost", "spread"),
    "Share": ("Share", "Repost", "Spread"), "leaders": ("leaders", "people", "voices"),
    "America": ("America", "USA", "our country"), "families": ("families", "parents", "folks"),
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z]+")


def person(rng: Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def russian_person(rng: Random) -> tuple[str, str]:
    return rng.choice(RU_FIRST), rng.choice(RU_LAST)


def us_place(rng: Random) -> tuple[str, str]:
    state, cities = rng.choice(US_PLACES)
    return state, rng.choice(cities)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())[:28] or "site"


def hashtag(rng: Random) -> str:
    """An invented campaign hashtag, e.g. #ProudTexanVoices."""
    a = rng.choice(("Proud", "United", "Real", "True", "Free", "Brave", "Woke", "Strong", "Black",
                    "Heartland", "Patriot", "Faith", "Liberty", "Justice"))  # fmt: skip
    b = rng.choice(("Voices", "Nation", "Unity", "Truth", "Power", "Roots", "Rising", "Alliance",
                    "Movement", "Family", "Pride", "Front"))  # fmt: skip
    return f"#{a}{b}{rng.choice(('', '', '2024', 'USA', 'Now'))}"


@dataclass
class Context:
    """What fills a voice's sentences."""

    place: str
    city: str
    issue: str
    cand: str = ""
    first: str = ""
    last: str = ""
    office: str = "Congress"
    org: str = ""
    funder: str = ""
    hashtags: list[str] = field(default_factory=list)


def _fill(rng: Random, line: str, ctx: Context, extra: dict[str, str] | None = None) -> str:
    issue = ctx.issue if ctx.issue in GROUPS else rng.choice(DIVISIVE)
    claim = rng.choice(CLAIMS[issue])
    group = rng.choice(GROUPS[issue])
    values = {
        "claim": claim, "Claim": claim[:1].upper() + claim[1:], "group": group,
        "Group": group[:1].upper() + group[1:], "issue": ctx.issue.replace("lgbt", "LGBT rights"),
        "place": ctx.place, "city": ctx.city, "cand": ctx.cand, "first": ctx.first,
        "last": ctx.last, "office": ctx.office, "office_short": ctx.office.split()[-1],
        "promise": rng.choice(PROMISES), "trait": rng.choice(TRAITS),
        "years": rng.randint(4, 30), "date": rng.choice(DATES), "day": rng.choice(DAYS),
        "amount": rng.choice((5, 10, 15, 25, 27, 50)), "org": ctx.org or ctx.place,
        "funder": ctx.funder or ctx.org,
    }  # fmt: skip
    values.update(extra or {})
    return line.format(**values)


@dataclass
class Voice:
    """A few base texts and the hashtags that go with them; ``text`` varies one."""

    bases: list[str]
    hashtags: list[str]
    titles: list[str]

    def text(self, rng: Random, swap: float = 0.25) -> str:
        base = rng.choice(self.bases)

        def repl(m: re.Match[str]) -> str:
            word = m.group(0)
            options = SWAPS.get(word)
            return rng.choice(options) if options and rng.random() < swap else word

        out = _WORD.sub(repl, base)
        if self.hashtags and rng.random() < 0.8:
            k = min(len(self.hashtags), rng.randint(1, 3))
            out += " " + " ".join(rng.sample(self.hashtags, k))
        return out

    def title(self, rng: Random) -> str:
        return rng.choice(self.titles)


def voice(rng: Random, kind: str, ctx: Context, bait: float = 0.1) -> Voice:
    """A voice for an account of ``kind``: campaign, issue, divisive, org (news, business,
    government, union, party) or network (divisive with engagement bait)."""
    n = rng.randint(2, 5)
    bases: list[str] = []
    for _ in range(n):
        if kind == "campaign":
            lines = [rng.choice(CAMPAIGN_OPENERS)]
            if rng.random() < 0.6:
                lines.append(rng.choice(ISSUE_LINES if rng.random() < 0.3 else CAMPAIGN_OPENERS))
            lines.append(rng.choice(CAMPAIGN_CTAS))
        elif kind in ("issue", "divisive", "network"):
            pool = ISSUE_LINES if kind == "issue" else DIVISIVE_LINES
            lines = rng.sample(pool, rng.randint(1, 2))
            if kind != "network":
                lines.append(rng.choice(ISSUE_LINES))
            if rng.random() < bait:
                lines.append(rng.choice(BAIT_LINES))
        else:
            lines = rng.sample(ORG_LINES, rng.randint(1, 3))
        bases.append(" ".join(_fill(rng, line, ctx) for line in lines))
    if kind == "campaign":
        titles = [f"Vote {ctx.last} for {ctx.office}", f"Donate to {ctx.cand}", "Learn more",
                  f"{ctx.cand} for {ctx.office}", "Make a plan to vote"]  # fmt: skip
    elif kind in ("divisive", "network"):
        titles = ["Stand with us", "Join us", "Read more", "The truth", "Learn more",
                  "Sign up", "Watch now"]  # fmt: skip
    else:
        titles = ["Learn more", "Read more", "Sign the petition", "Donate", "Find out more",
                  ctx.org or ctx.place]  # fmt: skip
    return Voice(bases, list(ctx.hashtags), rng.sample(titles, min(len(titles), 3)))


def template_bases(rng: Random, lines: tuple[str, ...], k: int = 3) -> list[list[str]]:
    """``k`` texts of one or two of ``lines`` each: a template several accounts fill in."""
    return [rng.sample(lines, rng.randint(1, min(2, len(lines)))) for _ in range(k)]


def template(seed: int, bases: list[list[str]], ctx: Context, titles: list[str],
             **extra: str) -> Voice:  # fmt: skip
    """A voice from a shared template: the same ``seed`` and ``bases`` fill in the same words,
    so accounts sharing a template differ only in ``ctx`` and ``extra`` (a county's name)."""
    rng = Random(seed)
    texts = [" ".join(_fill(rng, line, ctx, extra) for line in base) for base in bases]
    return Voice(texts, list(ctx.hashtags), list(titles))
